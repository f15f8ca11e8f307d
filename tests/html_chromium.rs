//! The HTML page as a browser sees it: Debian's headless Chromium renders the page the binary
//! wrote, and the tests read the DOM after the page's script has run (`--dump-dom`), so the
//! sort, the counts and the Content-Security-Policy are checked where they matter, not in
//! the markup alone.
//!
//! The browser tests are `#[ignore]`d: they need `/usr/bin/chromium` (`apt-get install
//! chromium`), and CI runs them on their own (`cargo test --test html_chromium -- --ignored`,
//! `.ci/run`), where they fail loudly if it is missing. Chromium loads only `file://` pages
//! with nothing to fetch; the servers are scripted on loopback (the `demo`, or
//! [`common::serve`]) like every other test's.
//!
//! Each run leaves the page, the DOMs and a screenshot in `target/tmp/html_chromium/` for a
//! human to look at.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use starttls_check::scripted::{Scenario, StartTls};

const CHROMIUM: &str = "/usr/bin/chromium";
/// A headless Chromium answers in about a second; a hung one is killed at this.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(60);
/// Something no server sends and no page of ours writes: set only by a script that ran.
const PWNED: &str = "data-pwned";

/// Where a run's page, DOMs and screenshot are kept (`target/tmp/html_chromium/<name>`).
fn artifacts(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("html_chromium")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The browser, or a panic that says how to get it: a tier that skips silently would pass
/// in CI without having run.
fn chromium() -> &'static str {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} not found: the HTML tier needs Debian's Chromium \
         (apt-get install --no-install-recommends chromium; .ci/run installs it)"
    );
    CHROMIUM
}

/// Runs headless Chromium on `page` (with `fragment`, e.g. `#sort=days`) and `extra`
/// arguments, killing it after [`CHROMIUM_TIMEOUT`]; returns its stdout.
fn run_chromium(page: &Path, fragment: &str, extra: &[&str]) -> String {
    let profile = page.with_extension("profile");
    let url = format!("file://{}{fragment}", page.display());
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {CHROMIUM}: {e}"));
    // Read both pipes while waiting, so a chatty browser cannot block on a full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CHROMIUM_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium on {url} did not finish within {CHROMIUM_TIMEOUT:?}; stderr:\n{}",
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out.join().unwrap();
    assert!(
        status.success(),
        "chromium on {url} failed ({status}); stderr:\n{}",
        err.join().unwrap_or_default()
    );
    let _ = std::fs::remove_dir_all(&profile);
    stdout
}

/// The DOM after the page's script has run, also kept next to the page.
fn dump_dom(page: &Path, fragment: &str) -> String {
    let dom = run_chromium(page, fragment, &["--dump-dom"]);
    assert!(
        dom.contains("</html>"),
        "chromium dumped no document for {}{fragment}:\n{dom}",
        page.display()
    );
    let stem = page.file_stem().unwrap().to_string_lossy();
    let name = format!("{stem}.dom{}.html", fragment.replace(['#', '='], "-"));
    std::fs::write(page.with_file_name(name), &dom).unwrap();
    dom
}

/// Every start tag in `dom` beginning with `prefix` (`<tr class="target"`), up to its `>`.
fn tags<'a>(dom: &'a str, prefix: &str) -> Vec<&'a str> {
    dom.match_indices(prefix)
        .map(|(at, _)| {
            let tag = &dom[at..];
            &tag[..tag.find('>').map_or(tag.len(), |end| end + 1)]
        })
        .collect()
}

/// The value of attribute `name` in `tag`, as serialized (`name="value"`).
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    tag[at..].find('"').map(|end| &tag[at..at + end])
}

/// The number a tile shows for `verdict` (`<span class="n" data-count="fail">3</span>`).
fn tile(dom: &str, verdict: &str) -> usize {
    let key = format!("data-count=\"{verdict}\">");
    let at = dom
        .find(&key)
        .unwrap_or_else(|| panic!("no {verdict} tile in the DOM"))
        + key.len();
    let end = dom[at..].find('<').unwrap() + at;
    dom[at..end]
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{verdict} tile shows {:?}: {e}", &dom[at..end]))
}

/// The `data-days` of the table's rows in DOM order (`None`: no certificate).
fn days_in_order(dom: &str) -> Vec<Option<i64>> {
    tags(dom, "<tr class=\"target\"")
        .iter()
        .map(|t| {
            let d = attr(t, "data-days").expect("every row has data-days");
            (!d.is_empty()).then(|| d.parse().expect("data-days is a number"))
        })
        .collect()
}

/// The sort header the script marked, as (key, aria-sort).
fn sorted_by(dom: &str) -> Vec<(String, String)> {
    tags(dom, "<th scope=\"col\"")
        .iter()
        .filter_map(|t| {
            let sort = attr(t, "aria-sort")?;
            (sort != "none").then(|| (attr(t, "data-key").unwrap().to_string(), sort.into()))
        })
        .collect()
}

/// Days left in `order` ("ascending"/"descending"), every row without a certificate last.
#[track_caller]
fn assert_sorted(days: &[Option<i64>], descending: bool) {
    let known: Vec<i64> = days.iter().map_while(|d| *d).collect();
    assert!(
        days[known.len()..].iter().all(Option::is_none),
        "rows without a certificate are not last: {days:?}"
    );
    let mut want = known.clone();
    want.sort_unstable();
    if descending {
        want.reverse();
    }
    assert_eq!(
        known, want,
        "days left not sorted (descending: {descending})"
    );
}

/// The demo's reports (`demo --format json`): verdict counts and how many.
fn demo_counts() -> (BTreeMap<String, usize>, usize) {
    let run = common::run(&["demo", "--format", "json"]);
    assert_eq!(run.code, 0, "demo --format json failed:\n{}", run.stderr);
    let reports = run.json();
    let reports = reports
        .as_array()
        .expect("demo --format json is an array of reports");
    let mut counts = BTreeMap::new();
    for r in reports {
        let v = r["verdict"].as_str().expect("each report has a verdict");
        *counts.entry(v.to_string()).or_insert(0) += 1;
    }
    (counts, reports.len())
}

/// The demo's page, written where [`artifacts`] keeps it, in a directory of the test's own
/// (tests run in parallel).
fn demo_page(test: &str) -> PathBuf {
    let run = common::run(&["demo", "--format", "html"]);
    assert_eq!(run.code, 0, "demo --format html failed:\n{}", run.stderr);
    let page = artifacts(test).join("page.html");
    std::fs::write(&page, &run.stdout).unwrap();
    page
}

#[test]
#[ignore = "needs /usr/bin/chromium; run with --ignored (CI does)"]
fn the_demo_page_shows_the_reports_counts_and_rows_and_sorts_by_days_left() {
    let (counts, reports) = demo_counts();
    let page = demo_page("sort");
    let dom = dump_dom(&page, "#sort=days");
    assert_eq!(tile(&dom, "total"), reports, "the total tile");
    for verdict in ["pass", "warn", "unknown", "fail"] {
        let want = counts.get(verdict).copied().unwrap_or(0);
        assert_eq!(tile(&dom, verdict), want, "the {verdict} tile");
        let rows = tags(&dom, "<tr class=\"target\"")
            .iter()
            .filter(|t| attr(t, "data-verdict") == Some(verdict))
            .count();
        assert_eq!(rows, want, "rows with verdict {verdict}");
    }
    let days = days_in_order(&dom);
    assert_eq!(days.len(), reports, "one table row per report");
    assert!(
        days.iter().flatten().count() >= 2,
        "too few certificates to see a sort: {days:?}"
    );
    // The script ran (the policy let it) and sorted ascending.
    assert_eq!(
        sorted_by(&dom),
        [("days".to_string(), "ascending".to_string())]
    );
    assert_sorted(&days, false);

    let dom = dump_dom(&page, "#sort=days-desc");
    assert_eq!(
        sorted_by(&dom),
        [("days".to_string(), "descending".to_string())]
    );
    let days = days_in_order(&dom);
    assert_eq!(days.len(), reports, "one table row per report");
    assert_sorted(&days, true);
}

#[test]
#[ignore = "needs /usr/bin/chromium; run with --ignored (CI does)"]
fn the_demo_page_screenshot_is_made_for_a_human_to_look_at() {
    let page = demo_page("screenshot");
    let shot = page.with_file_name("page.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &page,
        "#sort=days",
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
        ],
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot at {shot:?}: {e}"));
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "{shot:?} is not a screenshot of a page ({} bytes)",
        png.len()
    );
}

#[test]
#[ignore = "needs /usr/bin/chromium; run with --ignored (CI does)"]
fn the_policy_stops_a_script_an_escaping_bug_would_let_in_while_the_page_script_runs() {
    let page = demo_page("policy");
    let html = std::fs::read_to_string(&page).unwrap();
    // What a missed escape would produce: markup from a server, inline and as a handler.
    let injected = format!(
        "<script>document.body.setAttribute('{PWNED}','script')</script>\
         <img src=\"x\" onerror=\"document.body.setAttribute('{PWNED}','handler')\"></footer>"
    );
    let bad = page.with_file_name("injected.html");
    std::fs::write(&bad, html.replacen("</footer>", &injected, 1)).unwrap();
    let dom = dump_dom(&bad, "#sort=days");
    assert!(
        dom.contains("document.body.setAttribute"),
        "the injection is not in the page"
    );
    assert!(
        !dom.contains(&format!("{PWNED}=")),
        "an injected script ran"
    );
    assert_eq!(
        sorted_by(&dom),
        [("days".to_string(), "ascending".to_string())]
    );
}

/// What a user does, as a script the test adds to the page (and to its policy, by hash):
/// click "Days left" twice, then the "fail" tile; the results land in `data-` attributes of
/// `<body>` for the DOM dump.
const CLICKS: &str = r##"
var days = document.querySelector('th[data-key="days"] button');
days.click();
days.click();
document.body.setAttribute("data-hash", location.hash);
document.querySelector("label.tile.fail").click();
var shown = Array.prototype.filter.call(document.querySelectorAll("#targets tbody"), function (g) {
  return getComputedStyle(g).display !== "none";
});
document.body.setAttribute("data-shown", shown.length);
"##;

#[test]
#[ignore = "needs /usr/bin/chromium; run with --ignored (CI does)"]
fn clicking_a_heading_twice_sorts_descending_into_the_address_and_a_tile_filters() {
    let (counts, _) = demo_counts();
    let page = demo_page("clicks");
    let html = std::fs::read_to_string(&page).unwrap();
    let digest = ring::digest::digest(&ring::digest::SHA256, CLICKS.as_bytes());
    let source = format!(
        " &#39;sha256-{}&#39;; base-uri",
        common::base64(digest.as_ref())
    );
    assert!(
        html.contains("; base-uri"),
        "the policy changed shape: update this test"
    );
    let clicked = html.replacen("; base-uri", &source, 1).replacen(
        "</body>",
        &format!("<script>{CLICKS}</script></body>"),
        1,
    );
    let clicked_page = page.with_file_name("clicked.html");
    std::fs::write(&clicked_page, clicked).unwrap();
    let dom = dump_dom(&clicked_page, "");
    let body = tags(&dom, "<body").pop().expect("a body");
    assert_eq!(attr(body, "data-hash"), Some("#sort=days-desc"), "{body}");
    assert_eq!(
        sorted_by(&dom),
        [("days".to_string(), "descending".to_string())]
    );
    assert_sorted(&days_in_order(&dom), true);
    let fail = counts.get("fail").copied().unwrap_or(0).to_string();
    assert_eq!(
        attr(body, "data-shown"),
        Some(fail.as_str()),
        "rows shown after choosing fail"
    );
}

/// A server that answers STARTTLS with markup (a reply the findings quote): what it sends
/// must be shown as text.
fn hostile_page() -> (String, Value) {
    let script = format!("<script>document.body.setAttribute('{PWNED}','1')</script>");
    let leaf = common::pki().healthy(common::HOST, 90);
    let mut scenario = Scenario::postfix(common::HOST, &leaf);
    scenario.banner = format!("220 {} ESMTP <img src=x onerror=alert(1)>", common::HOST);
    scenario.starttls =
        StartTls::Offered(format!("454 4.7.0 {script} <img src=x onerror=alert(2)>"));
    let server = common::serve(scenario);
    let json = common::probe(&server, &[]).json();
    let ca = common::pki().root_file.to_string_lossy().into_owned();
    let resolve = format!("{}:{}", common::HOST, server.addr.ip());
    let target = format!("{}:{}", common::HOST, server.addr.port());
    let run = common::run(&[
        &target,
        "--resolve",
        &resolve,
        "--ca-file",
        &ca,
        "--no-system-roots",
        "--timeout",
        "5",
        "--format",
        "html",
    ]);
    assert!(
        run.stdout.starts_with("<!doctype html>"),
        "no page:\n{}",
        run.stderr
    );
    (run.stdout, json)
}

#[test]
fn markup_a_server_sends_is_text_on_the_page() {
    let (html, json) = hostile_page();
    assert!(
        json.to_string().contains("<script>"),
        "the server's markup reaches no finding, so this test proves nothing: {json}"
    );
    assert_eq!(
        html.matches("<script").count(),
        1,
        "a second script:\n{html}"
    );
    assert!(!html.contains("<img"), "a server's tag:\n{html}");
    assert!(html.contains("&lt;script&gt;document.body.setAttribute(&#39;"));
}

#[test]
#[ignore = "needs /usr/bin/chromium; run with --ignored (CI does)"]
fn markup_a_server_sends_does_not_run_in_the_browser() {
    let (html, _) = hostile_page();
    let page = artifacts("hostile").join("page.html");
    std::fs::write(&page, html).unwrap();
    let dom = dump_dom(&page, "");
    assert!(
        !dom.contains(&format!("{PWNED}=")),
        "the server's script ran"
    );
    assert_eq!(tags(&dom, "<tr class=\"target\"").len(), 1);
}
