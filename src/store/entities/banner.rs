//! `banners`: one saved banner configuration, addressed by a caller-generated slug.
//!
//! Invariants: `owner_key` is `owner_login` in lowercase (the lookup key); `options` is a JSON
//! object of string -> string; `id` compares by bytes on both backends (see the migration).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "banners")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: String,
    pub(crate) owner_login: String,
    pub(crate) owner_key: String,
    pub(crate) banner_type: String,
    pub(crate) theme: String,
    #[sea_orm(column_type = "Text")]
    pub(crate) options: String,
    pub(crate) created_at: DateTimeUtc,
    pub(crate) updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {
    #[sea_orm(has_many = "super::banner_render::Entity")]
    Renders,
}

impl Related<super::banner_render::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Renders.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
