//! What replicas must agree on that used to live in each process's memory: webhook deliveries
//! already handled (GitHub redelivers, and a replay may reach another replica) and the last
//! explicit refresh of each user (one a minute across all replicas).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    DeliveryId,
    HandledAt,
}

#[derive(DeriveIden)]
enum ManualRefreshes {
    Table,
    LoginKey,
    RefreshedAt,
}

// See m20261121_000003 for why the lint is allowed here.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(string(WebhookDeliveries::DeliveryId).primary_key())
                    .col(timestamp_with_time_zone(WebhookDeliveries::HandledAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ManualRefreshes::Table)
                    .col(string(ManualRefreshes::LoginKey).primary_key())
                    .col(timestamp_with_time_zone(ManualRefreshes::RefreshedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ManualRefreshes::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned()).await
    }
}
