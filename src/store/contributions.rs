//! Contribution calendars by user, year and UTC offset: written once per fetch (an upsert), read
//! when a year is not in memory.

use chrono::{Days, NaiveDate};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

use super::StoreError;
use super::entities::contribution_year;
use crate::domain::{ContributionDay, ContributionYear, Login};

#[derive(Clone)]
pub struct ContributionStore {
    db: DatabaseConnection,
}

impl ContributionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The stored year, if any.
    pub async fn get(
        &self,
        login: &Login,
        year: i32,
        offset_minutes: i32,
    ) -> Result<Option<ContributionYear>, StoreError> {
        let row = contribution_year::Entity::find_by_id((login.as_str().to_ascii_lowercase(), year, offset_minutes))
            .one(&self.db)
            .await
            .map_err(StoreError::query("read a contribution year"))?;
        Ok(row.and_then(decode))
    }

    /// Stores `year` in place of what was there.
    pub async fn put(&self, login: &Login, year: &ContributionYear) -> Result<(), StoreError> {
        use contribution_year::Column as C;
        let first = year.days.first().map_or(NaiveDate::MIN, |d| d.date);
        // One count per date from the first: gaps are days without contributions.
        let mut counts = Vec::new();
        // A year has at most 366 dates; anything else is not a year's.
        for day in year.days.iter().filter(|d| (0..366).contains(&(d.date - first).num_days())) {
            let index = (day.date - first).num_days() as usize;
            counts.resize(counts.len().max(index + 1), 0);
            counts[index] = day.count;
        }
        let join = |items: &mut dyn Iterator<Item = String>| items.collect::<Vec<_>>().join(",");
        let row = contribution_year::ActiveModel {
            login: Set(login.as_str().to_ascii_lowercase()),
            year: Set(year.year),
            utc_offset_minutes: Set(year.offset_minutes),
            first_date: Set(if year.days.is_empty() { String::new() } else { first.to_string() }),
            counts: Set(join(&mut counts.iter().map(u32::to_string))),
            restricted: Set(i64::try_from(year.restricted).unwrap_or(i64::MAX)),
            years: Set(join(&mut year.contribution_years.iter().map(i32::to_string))),
            fetched_at: Set(year.fetched_at),
        };
        let on_conflict = OnConflict::columns([C::Login, C::Year, C::UtcOffsetMinutes])
            .update_columns([C::FirstDate, C::Counts, C::Restricted, C::Years, C::FetchedAt])
            .to_owned();
        contribution_year::Entity::insert(row)
            .on_conflict(on_conflict)
            .exec_without_returning(&self.db)
            .await
            .map_err(StoreError::query("store a contribution year"))?;
        Ok(())
    }
}

/// A row as the year it stores; a row this version cannot read is as good as none (it is
/// fetched again).
fn decode(row: contribution_year::Model) -> Option<ContributionYear> {
    let numbers = |text: &str| -> Option<Vec<i64>> {
        text.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().ok()).collect()
    };
    let days = match row.first_date.as_str() {
        "" => Vec::new(),
        first => {
            let first: NaiveDate = first.parse().ok()?;
            numbers(&row.counts)?
                .into_iter()
                .enumerate()
                .map(|(i, count)| {
                    Some(ContributionDay { date: first.checked_add_days(Days::new(i as u64))?, count: count as u32 })
                })
                .collect::<Option<Vec<_>>>()?
        }
    };
    Some(ContributionYear {
        year: row.year,
        offset_minutes: row.utc_offset_minutes,
        days,
        restricted: u64::try_from(row.restricted).unwrap_or(0),
        contribution_years: numbers(&row.years)?.into_iter().map(|y| y as i32).collect(),
        fetched_at: row.fetched_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::TestDatabase;

    #[tokio::test]
    async fn a_year_reads_back_as_written_and_is_replaced_by_the_next_write() {
        for t in TestDatabase::all().await {
            check_round_trip(ContributionStore::new(t.db.clone())).await;
        }
    }

    async fn check_round_trip(store: ContributionStore) {
        let login = Login::parse("Octocat").unwrap();
        let date = |s: &str| s.parse::<NaiveDate>().unwrap();
        let mut year = ContributionYear {
            year: 2024,
            offset_minutes: -300,
            days: vec![
                ContributionDay { date: date("2024-01-01"), count: 3 },
                ContributionDay { date: date("2024-01-02"), count: 0 },
                ContributionDay { date: date("2024-01-03"), count: 12 },
            ],
            restricted: 2,
            contribution_years: vec![2024, 2021],
            fetched_at: chrono::DateTime::from_timestamp(1_735_000_000, 0).unwrap(),
        };
        store.put(&login, &year).await.unwrap();
        assert_eq!(store.get(&login, 2024, -300).await.unwrap(), Some(year.clone()));
        assert_eq!(store.get(&login, 2024, 0).await.unwrap(), None, "another offset is another calendar");
        year.days[1].count = 5;
        store.put(&login, &year).await.unwrap();
        assert_eq!(store.get(&Login::parse("octocat").unwrap(), 2024, -300).await.unwrap(), Some(year));
    }
}
