//! `repositories`: the repositories a user owns, as of that user's latest snapshot.
//!
//! Invariants: `github_id` (node id) is unique and survives renames and transfers, so a transfer
//! moves the row to the new `owner_id` instead of duplicating it; deleting the owner deletes these.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "repositories")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub(crate) id: i64,
    #[sea_orm(unique)]
    pub(crate) github_id: String,
    pub(crate) owner_id: i64,
    pub(crate) owner: String,
    #[sea_orm(column_type = "Text")]
    pub(crate) name: String,
    pub(crate) stars: i64,
    pub(crate) forks: i64,
    pub(crate) is_fork: bool,
    pub(crate) is_private: bool,
    pub(crate) primary_language: Option<String>,
    pub(crate) pushed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {
    #[sea_orm(
        belongs_to = "super::github_user::Entity",
        from = "Column::OwnerId",
        to = "super::github_user::Column::Id",
        on_delete = "Cascade"
    )]
    Owner,
    #[sea_orm(has_many = "super::repository_language::Entity")]
    Languages,
}

impl Related<super::github_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl Related<super::repository_language::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Languages.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
