//! Render cost per banner type: SVG (handlebars) and PNG (resvg), default theme, typical sample.
//! `cargo bench --bench render`; numbers are in README.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use github_banners::domain::BannerType;
use github_banners::render::{BannerOptions, LanguagesLayout, Renderer, Sample, png, sample_data};

fn render(c: &mut Criterion) {
    let renderer = Renderer::load(None).expect("built-in themes load");
    let data = sample_data(Sample::Typical);
    let cases = [
        ("wide", BannerType::Wide, LanguagesLayout::Normal),
        ("compact", BannerType::Compact, LanguagesLayout::Normal),
        ("languages", BannerType::Languages, LanguagesLayout::Normal),
        ("languages-donut", BannerType::Languages, LanguagesLayout::Donut),
    ];
    for (name, kind, layout) in cases {
        let options = BannerOptions { layout, show_icons: true, disable_animations: true, ..BannerOptions::default() };
        c.bench_function(&format!("svg/{name}"), |b| {
            b.iter(|| renderer.banner(black_box(kind), black_box(&data), black_box(&options)).expect("renders"))
        });
        let svg = renderer.banner(kind, &data, &options).expect("renders");
        c.bench_function(&format!("png/{name}"), |b| {
            b.iter(|| png::rasterize(black_box(&svg), 2.0).expect("rasterises"))
        });
    }
    c.bench_function("themes/load-and-validate-all", |b| b.iter(|| Renderer::load(None).expect("loads")));
}

criterion_group!(benches, render);
criterion_main!(benches);
