//! The transactional outbox and the background-refresh schedule.
//!
//! Invariants: `event_outbox.id` is the publish order and the event's id (the payload's `id` is this
//! row's id as a string); a row with `sent_at` NULL is pending. `refresh_schedule.login_key` is the
//! lowercase login and the primary key, so a user is scheduled once; a row is leased while
//! `leased_until` is in the future. Timestamps are written by the service (never the database's
//! clock), so SQLite's text timestamps all share one format and compare in time order.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum EventOutbox {
    Table,
    Id,
    EventKey,
    Payload,
    Origin,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum RefreshSchedule {
    Table,
    LoginKey,
    Login,
    DueAt,
    LeasedUntil,
    LeasedBy,
    LastRefreshedAt,
}

// async_trait's expansion needs `&SchemaManager` without `<'_>` (writing it makes the lifetime
// early-bound and the impl no longer matches the trait), which the 2018-idioms lint flags.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventOutbox::Table)
                    .col(big_pk_auto(EventOutbox::Id))
                    // The partition key: the login in lowercase.
                    .col(string(EventOutbox::EventKey))
                    // The event's JSON, exactly as it will be published.
                    .col(text(EventOutbox::Payload))
                    .col(string(EventOutbox::Origin))
                    .col(timestamp_with_time_zone(EventOutbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(EventOutbox::SentAt))
                    .to_owned(),
            )
            .await?;

        // "Pending in id order" is `WHERE sent_at IS NULL ORDER BY id LIMIT n`: a range of this
        // index; purging (`sent_at < t`) reads another range of it.
        manager
            .create_index(
                Index::create()
                    .name("idx_event_outbox_sent_at_id")
                    .table(EventOutbox::Table)
                    .col(EventOutbox::SentAt)
                    .col(EventOutbox::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshSchedule::Table)
                    .col(string(RefreshSchedule::LoginKey).primary_key())
                    .col(string(RefreshSchedule::Login))
                    .col(timestamp_with_time_zone(RefreshSchedule::DueAt))
                    .col(timestamp_with_time_zone_null(RefreshSchedule::LeasedUntil))
                    .col(string_null(RefreshSchedule::LeasedBy))
                    .col(timestamp_with_time_zone_null(RefreshSchedule::LastRefreshedAt))
                    .to_owned(),
            )
            .await?;

        // Claiming reads the earliest due rows first: `WHERE due_at <= now ORDER BY due_at`.
        manager
            .create_index(
                Index::create()
                    .name("idx_refresh_schedule_due_at")
                    .table(RefreshSchedule::Table)
                    .col(RefreshSchedule::DueAt)
                    .to_owned(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RefreshSchedule::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(EventOutbox::Table).to_owned()).await
    }
}
