//! `github_users`: one row per GitHub account, with its profile and contribution counters.
//!
//! Invariants: `login_key` is the lowercase login and unique (the lookup key); `login` keeps
//! GitHub's spelling; `github_id` (node id) is unique, so one account never has two rows.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "github_users")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub(crate) id: i64,
    #[sea_orm(unique)]
    pub(crate) github_id: String,
    pub(crate) login: String,
    #[sea_orm(unique)]
    pub(crate) login_key: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub(crate) name: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub(crate) avatar_url: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub(crate) bio: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub(crate) company: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub(crate) location: Option<String>,
    pub(crate) created_at: Option<DateTimeUtc>,
    pub(crate) followers: i64,
    pub(crate) following: i64,
    pub(crate) commits: i64,
    pub(crate) restricted_contributions: i64,
    pub(crate) pull_requests: i64,
    pub(crate) issues: i64,
    pub(crate) reviews: i64,
    pub(crate) contributed_to: i64,
    /// All-time totals; null until the user is fetched with them (migration 6).
    pub(crate) total_pull_requests: Option<i64>,
    pub(crate) merged_pull_requests: Option<i64>,
    pub(crate) total_issues: Option<i64>,
    pub(crate) discussions_started: Option<i64>,
    pub(crate) discussions_answered: Option<i64>,
    pub(crate) fetched_at: DateTimeUtc,
    /// `rest` for a snapshot from the REST API without a token; null: GraphQL (migration 8).
    pub(crate) source: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {
    #[sea_orm(has_many = "super::repository::Entity")]
    Repositories,
}

impl Related<super::repository::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Repositories.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
