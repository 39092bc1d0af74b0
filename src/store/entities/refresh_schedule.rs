//! `refresh_schedule`: when each user's stats are next due for a background refresh, and which
//! worker holds the lease on it.
//!
//! Invariants: `login_key` is the lowercase login (the primary key), `login` keeps the spelling to
//! fetch; a row is leased while `leased_until` is in the future.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_schedule")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) login_key: String,
    pub(crate) login: String,
    pub(crate) due_at: DateTimeUtc,
    pub(crate) leased_until: Option<DateTimeUtc>,
    pub(crate) leased_by: Option<String>,
    pub(crate) last_refreshed_at: Option<DateTimeUtc>,
    /// Last time the user's card was viewed (any replica); None for banner owners never viewed.
    pub(crate) last_viewed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
