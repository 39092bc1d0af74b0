//! `banner_renders`: the last rendered image of one banner in one format.
//!
//! Invariants: at most one row per (banner, format) — the primary key; rows are deleted with their
//! banner and whenever the banner's configuration changes (they would be stale).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "banner_renders")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) banner_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) format: String,
    #[sea_orm(column_type = "Blob")]
    pub(crate) bytes: Vec<u8>,
    pub(crate) etag: String,
    pub(crate) stats_version: String,
    pub(crate) rendered_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {
    #[sea_orm(
        belongs_to = "super::banner::Entity",
        from = "Column::BannerId",
        to = "super::banner::Column::Id",
        on_delete = "Cascade"
    )]
    Banner,
}

impl Related<super::banner::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Banner.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
