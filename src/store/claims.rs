//! Claims replicas make through the database so that only one of them acts: a webhook delivery
//! (GitHub redelivers it; a replay may reach another replica) and an explicit refresh of a user
//! (at most one per interval, whichever replica is asked).
//!
//! Invariants: a claim is one statement (an insert, or an upsert that only wins when the previous
//! claim is older than the interval), so two replicas racing for it cannot both win; a released
//! claim can be made again at once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::StoreError;
use super::entities::{manual_refresh, webhook_delivery};

/// How long handled deliveries are remembered (GitHub redelivers within hours, not days).
const KEEP_DELIVERIES: chrono::Duration = chrono::Duration::days(3);

#[derive(Clone)]
pub struct Claims {
    db: DatabaseConnection,
}

impl Claims {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Claims `delivery` for handling; false when some replica already did. Also forgets
    /// deliveries older than a few days.
    pub async fn claim_delivery(&self, delivery: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        use webhook_delivery::Column as C;
        webhook_delivery::Entity::delete_many()
            .filter(C::HandledAt.lt(now - KEEP_DELIVERIES))
            .exec(&self.db)
            .await
            .map_err(StoreError::query("forget old webhook deliveries"))?;
        let row = webhook_delivery::ActiveModel { delivery_id: Set(delivery.to_owned()), handled_at: Set(now) };
        let inserted = webhook_delivery::Entity::insert(row)
            .on_conflict(OnConflict::column(C::DeliveryId).do_nothing().to_owned())
            .exec_without_returning(&self.db)
            .await
            .map_err(StoreError::query("claim webhook delivery"))?;
        Ok(inserted == 1)
    }

    /// Gives a delivery back (handling it failed): GitHub's redelivery will be acted on.
    pub async fn release_delivery(&self, delivery: &str) -> Result<(), StoreError> {
        webhook_delivery::Entity::delete_by_id(delivery.to_owned())
            .exec(&self.db)
            .await
            .map_err(StoreError::query("release webhook delivery"))?;
        Ok(())
    }

    /// Claims an explicit refresh of `login_key`: Ok when no replica refreshed it within
    /// `interval`, else the time left.
    pub async fn claim_refresh(
        &self,
        login_key: &str,
        now: DateTime<Utc>,
        interval: Duration,
    ) -> Result<Result<(), Duration>, StoreError> {
        use manual_refresh::Column as C;
        let interval = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::minutes(1));
        let row = manual_refresh::ActiveModel { login_key: Set(login_key.to_owned()), refreshed_at: Set(now) };
        let won = manual_refresh::Entity::insert(row)
            .on_conflict(
                OnConflict::column(C::LoginKey)
                    .update_column(C::RefreshedAt)
                    .action_and_where(Expr::col((manual_refresh::Entity, C::RefreshedAt)).lt(now - interval))
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(StoreError::query("claim refresh"))?;
        if won == 1 {
            return Ok(Ok(()));
        }
        let last = manual_refresh::Entity::find_by_id(login_key.to_owned())
            .one(&self.db)
            .await
            .map_err(StoreError::query("read last refresh"))?
            .map_or(now, |row| row.refreshed_at);
        let left = (last + interval - now).to_std().unwrap_or(Duration::ZERO);
        Ok(Err(left.max(Duration::from_secs(1))))
    }

    /// Gives a refresh claim back (the refresh failed): the next one may go at once.
    pub async fn release_refresh(&self, login_key: &str) -> Result<(), StoreError> {
        manual_refresh::Entity::delete_by_id(login_key.to_owned())
            .exec(&self.db)
            .await
            .map_err(StoreError::query("release refresh"))?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::testing::TestDatabase;

    #[tokio::test]
    async fn a_delivery_is_claimed_once_until_released() {
        for t in TestDatabase::all().await {
            let claims = Claims::new(t.db.clone());
            let now = Utc::now();
            assert!(claims.claim_delivery("d-1", now).await.unwrap(), "{}", t.label);
            assert!(!claims.claim_delivery("d-1", now).await.unwrap(), "{}", t.label);
            claims.release_delivery("d-1").await.unwrap();
            assert!(claims.claim_delivery("d-1", now).await.unwrap(), "{}", t.label);
            assert!(
                claims.claim_delivery("d-1", now + chrono::Duration::days(4)).await.unwrap(),
                "{}: forgotten",
                t.label
            );
        }
    }

    #[tokio::test]
    async fn one_refresh_per_interval_whoever_asks() {
        for t in TestDatabase::all().await {
            let (a, b) = (Claims::new(t.db.clone()), Claims::new(t.another_pool().await));
            let now = Utc::now();
            let minute = Duration::from_secs(60);
            assert_eq!(a.claim_refresh("octocat", now, minute).await.unwrap(), Ok(()), "{}", t.label);
            let refused = b.claim_refresh("octocat", now + chrono::Duration::seconds(20), minute).await.unwrap();
            assert!(matches!(refused, Err(left) if (39..=40).contains(&left.as_secs())), "{}: {refused:?}", t.label);
            let later = now + chrono::Duration::seconds(61);
            assert_eq!(b.claim_refresh("octocat", later, minute).await.unwrap(), Ok(()), "{}", t.label);
            a.release_refresh("octocat").await.unwrap();
            assert_eq!(a.claim_refresh("octocat", later, minute).await.unwrap(), Ok(()), "{}", t.label);
        }
    }
}
