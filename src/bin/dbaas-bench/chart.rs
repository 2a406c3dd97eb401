//! The comparison chart (`--digitalocean`): an SVG with two panels, wall time and API requests
//! against the cluster count, one line per phase (apply, refresh plan, destroy) and provider
//! (solid: this provider, dashed: DigitalOcean's). Plain SVG text, no dependency.

use std::fmt::Write as _;

use crate::report::Report;
use crate::scenario::{Phase, PhaseResult};

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 420.0;
const PANEL_WIDTH: f64 = 400.0;
const PANEL_HEIGHT: f64 = 280.0;
const TOP: f64 = 70.0;
const LEFTS: [f64; 2] = [70.0, 550.0];
const PHASES: [(Phase, &str); 3] = [
    (Phase::Apply, "#1f77b4"),
    (Phase::Refresh, "#2ca02c"),
    (Phase::Destroy, "#d62728"),
];

/// What a panel plots for one run.
type Measure = fn(&PhaseResult) -> f64;

pub fn render(report: &Report) -> String {
    let mut counts: Vec<usize> = report.phases.iter().map(|r| r.clusters).collect();
    counts.sort_unstable();
    counts.dedup();
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/><text x="{}" y="24" font-size="15" text-anchor="middle">dbaas-mock, {} ms provisioning, Terraform {}, parallelism 10: solid = this provider, dashed = DigitalOcean's</text>"#,
        WIDTH / 2.0,
        report.provision_delay_ms,
        escape(&report.machine.terraform_version)
    );
    let panels: [(&str, Measure); 2] = [
        ("wall time (s)", |r| r.wall.as_secs_f64()),
        ("API requests", |r| r.requests.total as f64),
    ];
    for ((title, measure), left) in panels.into_iter().zip(LEFTS) {
        panel(&mut svg, report, &counts, left, title, measure);
    }
    for (i, (phase, colour)) in PHASES.iter().enumerate() {
        let x = 200.0 + i as f64 * 220.0;
        let y = HEIGHT - 20.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{colour}" stroke-width="2"/><text x="{}" y="{}">{}</text>"#,
            x + 24.0,
            x + 30.0,
            y + 4.0,
            phase.label()
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn panel(
    svg: &mut String,
    report: &Report,
    counts: &[usize],
    left: f64,
    title: &str,
    measure: Measure,
) {
    let all = report.phases.iter().chain(&report.digitalocean);
    let highest = all
        .filter(|r| PHASES.iter().any(|(phase, _)| *phase == r.phase))
        .map(measure)
        .fold(0.0_f64, f64::max);
    let top = nice_ceiling(highest);
    let most = counts.last().copied().unwrap_or(1).max(1) as f64;
    let x = |count: usize| left + count as f64 / most * PANEL_WIDTH;
    let y = |value: f64| TOP + PANEL_HEIGHT - value / top * PANEL_HEIGHT;
    let bottom = TOP + PANEL_HEIGHT;
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="{}" text-anchor="middle" font-size="13">{title}</text><line x1="{left}" y1="{bottom}" x2="{}" y2="{bottom}" stroke="#444"/><line x1="{left}" y1="{TOP}" x2="{left}" y2="{bottom}" stroke="#444"/>"##,
        left + PANEL_WIDTH / 2.0,
        TOP - 12.0,
        left + PANEL_WIDTH
    );
    for step in 0..=4 {
        let value = top * step as f64 / 4.0;
        let _ = writeln!(
            svg,
            r##"<line x1="{left}" y1="{y0}" x2="{}" y2="{y0}" stroke="#ddd"/><text x="{}" y="{}" text-anchor="end">{}</text>"##,
            left + PANEL_WIDTH,
            left - 6.0,
            y(value) + 4.0,
            trim(value),
            y0 = y(value)
        );
    }
    for &count in counts {
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">{count}</text>"#,
            x(count),
            bottom + 16.0
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">clusters</text>"#,
        left + PANEL_WIDTH / 2.0,
        bottom + 34.0
    );
    for (phase, colour) in PHASES {
        for (runs, dash) in [(&report.phases, ""), (&report.digitalocean, "6 4")] {
            let points: Vec<String> = counts
                .iter()
                .filter_map(|&count| {
                    runs.iter()
                        .find(|r| r.clusters == count && r.phase == phase)
                        .map(|r| format!("{:.1},{:.1}", x(count), y(measure(r))))
                })
                .collect();
            if points.is_empty() {
                continue;
            }
            let _ = writeln!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>"#,
                points.join(" ")
            );
            for point in &points {
                let (px, py) = point.split_once(',').unwrap_or(("0", "0"));
                let _ = writeln!(
                    svg,
                    r#"<circle cx="{px}" cy="{py}" r="3" fill="{colour}"/>"#
                );
            }
        }
    }
}

/// The smallest of 1, 2 or 5 × 10ⁿ at or above `value`, for the axis.
fn nice_ceiling(value: f64) -> f64 {
    if value <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|candidate| *candidate >= value)
        .unwrap_or(10.0 * magnitude)
}

fn trim(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(18.8), 20.0);
        assert_eq!(nice_ceiling(76.0), 100.0);
        assert_eq!(nice_ceiling(150.0), 200.0);
        assert_eq!(nice_ceiling(3.0), 5.0);
        assert_eq!(trim(2.5), "2.5");
        assert_eq!(trim(20.0), "20");
        assert_eq!(escape("1.11 <x>"), "1.11 &lt;x&gt;");
    }
}
