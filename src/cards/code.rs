//! `pin` and `gist`: a repository's or a gist's card (github-readme-stats' `/api/pin` and
//! `/api/gist`).

use super::{CardData, CardKind, Output, Source, finish};
use crate::domain::BannerType;
use crate::render::{BannerOptions, CodeContext, Pack, RenderError};

pub(super) struct Pin;
pub(super) struct Gist;

fn render(
    kind: BannerType,
    pack: &Pack,
    data: &CardData,
    options: &BannerOptions,
    output: Output,
) -> Result<String, RenderError> {
    let template = format!("{}.svg.hbs", kind.as_str());
    let CardData::Code { card, stale } = data else {
        return Err(RenderError::Template {
            theme: pack.name.clone(),
            template,
            message: "this card shows a repository or a gist".to_owned(),
        });
    };
    let context = CodeContext::new(pack, kind, card, *stale, options);
    finish(pack, kind, &context, output)
}

/// Owner in the title, and each number of description lines.
fn variants() -> Vec<BannerOptions> {
    (1..=3)
        .map(|lines| BannerOptions {
            show_owner: lines == 2,
            description_lines: Some(lines),
            ..BannerOptions::default()
        })
        .collect()
}

impl CardKind for Pin {
    fn title(&self) -> &'static str {
        "Repository"
    }

    fn options(&self) -> Vec<super::spec::OptionSpec> {
        let mut o = vec![
            super::spec::flag("show_owner", "owner/name as the title"),
            super::spec::number("description_lines_count", 1, 3, None, "Description lines"),
        ];
        o.extend(super::spec::common());
        o
    }

    fn kind(&self) -> BannerType {
        BannerType::Pin
    }

    fn source(&self) -> Source {
        Source::Repository
    }

    fn draw(
        &self,
        pack: &Pack,
        data: &CardData,
        options: &BannerOptions,
        output: Output,
    ) -> Result<String, RenderError> {
        render(BannerType::Pin, pack, data, options, output)
    }

    fn variants(&self) -> Vec<BannerOptions> {
        variants()
    }
}

impl CardKind for Gist {
    fn title(&self) -> &'static str {
        "Gist"
    }

    fn options(&self) -> Vec<super::spec::OptionSpec> {
        let mut o = vec![super::spec::flag("show_owner", "owner/name as the title")];
        o.extend(super::spec::common());
        o
    }

    fn kind(&self) -> BannerType {
        BannerType::Gist
    }

    fn source(&self) -> Source {
        Source::Gist
    }

    fn draw(
        &self,
        pack: &Pack,
        data: &CardData,
        options: &BannerOptions,
        output: Output,
    ) -> Result<String, RenderError> {
        render(BannerType::Gist, pack, data, options, output)
    }

    fn variants(&self) -> Vec<BannerOptions> {
        variants()
    }
}
