//! `aiobs report`: one self-contained HTML file. The page's CSS and JS are compiled in
//! (`cli/assets/`), the data is embedded as JSON in `<script type="application/json">`
//! blocks and everything visible (tables, charts, filters, waterfalls, the call drawer) is
//! drawn by that JS, so the page needs no network and no server.
//!
//! The data: `aiobs-data`, the tables' facts as columns (see `data`), parsed when the page
//! opens; and the payloads and the search text as compressed blocks (see `blocks`), each in
//! its own `<script type="text/plain" id="aiobs-details-N">` (or `aiobs-search-N`), so the
//! page reads one block at a time and never parses them all at once.

mod blocks;
mod data;
mod detail;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde::Serialize;

use crate::cost::PriceTable;
use crate::dataset::Dataset;
use crate::error::CliError;

pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 64 * 1024;

const TEMPLATE: &str = include_str!("../assets/report.html");
const STYLE: &str = include_str!("../assets/report.css");
const SCRIPT: &str = include_str!("../assets/report.js");

pub struct Options {
    pub title: String,
    pub max_payload_bytes: usize,
    /// Input file names, shown in the page header.
    pub files: Vec<String>,
}

pub fn write_file(
    dataset: &Dataset<'_>,
    prices: &PriceTable,
    options: &Options,
    path: &Path,
) -> Result<(), CliError> {
    let fail = |e: io::Error| CliError::Export(format!("{}: {e}", path.display()));
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).map_err(fail)?);
    write(dataset, prices, options, &mut out).map_err(fail)?;
    out.flush().map_err(fail)
}

pub fn write(
    dataset: &Dataset<'_>,
    prices: &PriceTable,
    options: &Options,
    out: &mut impl Write,
) -> io::Result<()> {
    let title = escape_html(&options.title);
    let (data, blobs) = data::build(dataset, prices, &options.files, options.max_payload_bytes);
    fill_template(TEMPLATE, out, |slot, out| match slot {
        "TITLE" => out.write_all(title.as_bytes()),
        "STYLE" => out.write_all(STYLE.as_bytes()),
        "SCRIPT" => out.write_all(SCRIPT.as_bytes()),
        "DATA" => write_json(out, &data),
        "BLOCKS" => {
            write_blocks(out, "details", &blobs.details.encoded)?;
            write_blocks(out, "search", &blobs.search.encoded)
        }
        _ => unreachable!("report.html has no slot {slot}"),
    })
}

/// Base64 holds no `<`, so a block can never end its script early.
fn write_blocks(out: &mut impl Write, kind: &str, blocks: &[String]) -> io::Result<()> {
    for (n, block) in blocks.iter().enumerate() {
        writeln!(
            out,
            r#"<script type="text/plain" id="aiobs-{kind}-{n}">{block}</script>"#
        )?;
    }
    Ok(())
}

fn write_json(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(ScriptSafe(out), value).map_err(io::Error::other)
}

/// Writes `template` with every `{{NAME}}` in it replaced by what `slot` writes for NAME.
/// The template is scanned once and only the template: what a slot writes (a title, the
/// data, the CSS or JS) is never looked at again, so no text in it can act as a slot.
fn fill_template<W: Write>(
    template: &str,
    out: &mut W,
    mut slot: impl FnMut(&str, &mut W) -> io::Result<()>,
) -> io::Result<()> {
    let mut rest = template;
    while let Some((text, after_open)) = rest.split_once("{{")
        && let Some((name, after_close)) = after_open.split_once("}}")
    {
        out.write_all(text.as_bytes())?;
        slot(name, out)?;
        rest = after_close;
    }
    out.write_all(rest.as_bytes())
}

/// Escapes every `<` of the JSON as `\u003c`, which JSON reads back unchanged: `<` can only
/// occur inside JSON strings, and without it no `</script>` or `<!--` can end the data block.
struct ScriptSafe<W>(W);

impl<W: Write> Write for ScriptSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for (i, part) in buf.split(|&b| b == b'<').enumerate() {
            if i > 0 {
                self.0.write_all(b"\\u003c")?;
            }
            self.0.write_all(part)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_safe_escapes_every_angle_bracket() {
        let mut out = Vec::new();
        ScriptSafe(&mut out)
            .write_all(br#"{"a":"</script><!--x"}"#)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, r#"{"a":"\u003c/script>\u003c!--x"}"#);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["a"], "</script><!--x");
    }

    #[test]
    fn titles_are_escaped() {
        assert_eq!(
            escape_html("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
    }

    fn fill(template: &str, values: &[(&str, &str)]) -> String {
        let mut out = Vec::new();
        fill_template(template, &mut out, |name, out| {
            let value = values.iter().find(|(n, _)| *n == name).unwrap().1;
            out.write_all(value.as_bytes())
        })
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn slot_values_are_never_read_as_slots() {
        let values = [("A", "{{B}}"), ("B", "b{{A}}{{")];
        assert_eq!(fill("<{{A}}|{{B}}>", &values), "<{{B}}|b{{A}}{{>");
        assert_eq!(fill("{{A}}{{A}}", &values), "{{B}}{{B}}");
        assert_eq!(fill("no slots {{ here", &values), "no slots {{ here");
        assert_eq!(fill("", &values), "");
    }

    #[test]
    fn the_template_has_exactly_the_known_slots() {
        let mut slots = Vec::new();
        fill_template(TEMPLATE, &mut io::sink(), |name, _| {
            slots.push(name.to_string());
            Ok(())
        })
        .unwrap();
        assert_eq!(
            slots,
            ["TITLE", "STYLE", "TITLE", "DATA", "BLOCKS", "SCRIPT"]
        );
    }
}
