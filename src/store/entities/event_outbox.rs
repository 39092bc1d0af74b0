//! `event_outbox`: events written in the same transaction as the state change they describe,
//! waiting for the relay to publish them.
//!
//! Invariants: `id` is the publish order and equals the payload's event id; `event_key` is the
//! event's partition key (lowercase login); `sent_at` is NULL until the relay has published it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_outbox")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub(crate) id: i64,
    pub(crate) event_key: String,
    #[sea_orm(column_type = "Text")]
    pub(crate) payload: String,
    pub(crate) origin: String,
    pub(crate) created_at: DateTimeUtc,
    pub(crate) sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
