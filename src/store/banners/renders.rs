//! The stored renders of saved banners: one image per banner and format, replaced whenever the
//! banner is rendered again, and removed with the banner (or by its update).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{LockType, OnConflict},
};

use super::{BannerStore, locked_owner};
use crate::domain::ImageFormat;
use crate::events::EventKind;
use crate::store::{StoreError, entities::banner_render, outbox};

/// The last rendered image of a banner in one format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRender {
    pub format: ImageFormat,
    pub bytes: Vec<u8>,
    pub etag: String,
    /// The `fetched_at` (RFC 3339) of the snapshot the render was made from.
    pub stats_version: String,
    pub rendered_at: DateTime<Utc>,
}

impl BannerStore {
    /// Stores `render` as the banner's image in `render.format`, replacing any previous one, and
    /// writes its BannerRendered event, atomically. A banner that does not exist (e.g. deleted
    /// while rendering) is `StoreError::NotFound`.
    pub async fn save_render(&self, banner_id: &str, render: &StoredRender) -> Result<(), StoreError> {
        use banner_render::Column as C;

        let txn = self.begin("save render: begin transaction").await?;
        // A shared lock: renders of one banner may be saved side by side, but not beside an update
        // or delete of it, so the event names the owner the render was made for.
        let Some(owner_login) = locked_owner(&txn, banner_id, LockType::Share, "save render: read owner").await? else {
            txn.commit().await.map_err(StoreError::query("save render: end transaction"))?;
            return Err(StoreError::NotFound {
                operation: "save render",
                source: DbErr::RecordNotFound(format!("banner {banner_id}")),
            });
        };

        let row = banner_render::ActiveModel {
            banner_id: Set(banner_id.to_owned()),
            format: Set(render.format.as_str().to_owned()),
            bytes: Set(render.bytes.clone()),
            etag: Set(render.etag.clone()),
            stats_version: Set(render.stats_version.clone()),
            rendered_at: Set(render.rendered_at),
        };
        let on_conflict = OnConflict::columns([C::BannerId, C::Format])
            .update_columns([C::Bytes, C::Etag, C::StatsVersion, C::RenderedAt])
            .to_owned();
        banner_render::Entity::insert(row)
            .on_conflict(on_conflict)
            .exec_without_returning(&txn)
            .await
            .map_err(StoreError::write("save render"))?;
        let event = EventKind::BannerRendered {
            banner_id: banner_id.to_owned(),
            login: owner_login,
            format: render.format.as_str().to_owned(),
            etag: render.etag.clone(),
        };
        outbox::enqueue(&txn, &self.origin, event, "save render: write event").await?;
        txn.commit().await.map_err(StoreError::query("save render: commit"))
    }

    /// The formats banner `id` has a stored render in (reads no image bytes).
    pub async fn rendered_formats(&self, banner_id: &str) -> Result<Vec<ImageFormat>, StoreError> {
        const OPERATION: &str = "list rendered formats";
        let formats: Vec<String> = banner_render::Entity::find()
            .select_only()
            .column(banner_render::Column::Format)
            .filter(banner_render::Column::BannerId.eq(banner_id))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(StoreError::query(OPERATION))?;
        formats.iter().map(|f| decode_format(f, OPERATION)).collect()
    }

    /// The stored render of banner `banner_id` in `format`, or `None`.
    pub async fn get_render(&self, banner_id: &str, format: ImageFormat) -> Result<Option<StoredRender>, StoreError> {
        const OPERATION: &str = "get render";
        let row = banner_render::Entity::find_by_id((banner_id.to_owned(), format.as_str().to_owned()))
            .one(&self.db)
            .await
            .map_err(StoreError::query(OPERATION))?;
        row.map(|r| {
            Ok(StoredRender {
                format: decode_format(&r.format, OPERATION)?,
                bytes: r.bytes,
                etag: r.etag,
                stats_version: r.stats_version,
                rendered_at: r.rendered_at,
            })
        })
        .transpose()
    }
}

/// Only this module writes the column, so a value it cannot read was written by hand.
fn decode_format(format: &str, operation: &'static str) -> Result<ImageFormat, StoreError> {
    format.parse().map_err(|e: String| StoreError::Query { operation, source: DbErr::Type(e) })
}
