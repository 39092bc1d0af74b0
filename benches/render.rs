//! Render cost per banner type: SVG (handlebars) and PNG (resvg), default theme, typical sample.
//! `cargo bench --bench render`; numbers are in README.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use github_banners::cards::{self, Source, validate_pack};
use github_banners::domain::BannerType;
use github_banners::render::{BannerOptions, DEFAULT_THEME, LanguagesLayout, Renderer, Sample, png};

fn render(c: &mut Criterion) {
    let renderer = Renderer::load(None, validate_pack).expect("built-in themes load");
    let themes = renderer.themes();
    let pack = themes.get(DEFAULT_THEME).expect("the default pack");
    let data = Source::UserStats.sample(Sample::Typical);
    let cases = [
        ("wide", BannerType::Wide, LanguagesLayout::Normal),
        ("compact", BannerType::Compact, LanguagesLayout::Normal),
        ("languages", BannerType::Languages, LanguagesLayout::Normal),
        ("languages-donut", BannerType::Languages, LanguagesLayout::Donut),
    ];
    for (name, kind, layout) in cases {
        let options = BannerOptions { layout, show_icons: true, disable_animations: true, ..BannerOptions::default() };
        let card = cards::kind(kind);
        c.bench_function(&format!("svg/{name}"), |b| {
            b.iter(|| card.render(black_box(pack), black_box(&data), black_box(&options)).expect("renders"))
        });
        let svg = card.render(pack, &data, &options).expect("renders");
        c.bench_function(&format!("png/{name}"), |b| {
            b.iter(|| png::rasterize(black_box(&svg), 2.0).expect("rasterises"))
        });
    }
    c.bench_function("themes/load-and-validate-all", |b| {
        b.iter(|| Renderer::load(None, validate_pack).expect("loads"))
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
