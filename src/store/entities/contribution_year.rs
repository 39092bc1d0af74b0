//! `contribution_years`: one year of a user's contribution calendar, in one UTC offset.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contribution_years")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) login: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) year: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) utc_offset_minutes: i32,
    pub(crate) first_date: String,
    #[sea_orm(column_type = "Text")]
    pub(crate) counts: String,
    pub(crate) restricted: i64,
    /// Comma-separated years with contributions.
    pub(crate) years: String,
    pub(crate) fetched_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
