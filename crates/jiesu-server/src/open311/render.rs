//! GeoReport v2's answers, in JSON and in XML (the spec requires XML; civic apps mostly read
//! JSON). One type per answer, written both ways from the same value, so the two formats
//! cannot say different things. Field names and nesting are the spec's
//! (<https://wiki.open311.org/GeoReport_v2/>).

// The answers' fields are the spec's own, named and defined there.
#![allow(missing_docs)]

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde::Serialize;

/// The format the path's extension asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    /// `.json`
    Json,
    /// `.xml`
    Xml,
}

impl Fmt {
    /// `services.json` → (`services`, Json); `None` for another extension.
    pub fn split(file: &str) -> Option<(&str, Fmt)> {
        let (stem, ext) = file.rsplit_once('.')?;
        match ext {
            "json" => Some((stem, Fmt::Json)),
            "xml" => Some((stem, Fmt::Xml)),
            _ => None,
        }
    }

    /// The answer's content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Fmt::Json => "application/json; charset=utf-8",
            Fmt::Xml => "text/xml; charset=utf-8",
        }
    }
}

/// One service (a leaf of the category tree).
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    /// Always true: every service has the building/unit/room attributes.
    pub metadata: bool,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub keywords: String,
    pub group: String,
}

/// A service's definition: its attributes.
#[derive(Debug, Clone, Serialize)]
pub struct Definition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
}

/// One attribute a request may carry.
#[derive(Debug, Clone, Serialize)]
pub struct Attribute {
    pub variable: bool,
    pub code: &'static str,
    pub datatype: &'static str,
    pub required: bool,
    pub datatype_description: Option<&'static str>,
    pub order: u32,
    pub description: &'static str,
}

/// What a filed request answers.
#[derive(Debug, Clone, Serialize)]
pub struct Filed {
    pub service_request_id: String,
    pub service_notice: String,
    pub account_id: Option<String>,
}

/// A request's public status. The resident's description, address, position and photo are
/// not disclosed: the keys are present and empty, as the spec lets a city leave them.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub service_request_id: String,
    pub status: &'static str,
    pub status_notes: Option<String>,
    pub service_name: String,
    pub service_code: String,
    pub description: Option<String>,
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: Option<String>,
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: Option<String>,
}

/// One error of the spec's list.
#[derive(Debug, Clone, Serialize)]
pub struct ApiErr {
    pub code: u16,
    pub description: String,
}

/// Something the endpoint answers, in either format.
pub trait Answer: Serialize {
    /// Writes the XML document's root and everything in it.
    fn xml(&self, w: &mut Xml);
}

/// A small XML writer over quick-xml: elements with escaped text.
pub struct Xml(Writer<Vec<u8>>);

impl Xml {
    fn new() -> Xml {
        let mut w = Writer::new(Vec::new());
        let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)));
        Xml(w)
    }

    /// `<name>…</name>` around whatever `inner` writes.
    pub fn node(&mut self, name: &str, inner: impl FnOnce(&mut Xml)) {
        let _ = self
            .0
            .write_event(Event::Start(quick_xml::events::BytesStart::new(name)));
        inner(self);
        let _ = self
            .0
            .write_event(Event::End(quick_xml::events::BytesEnd::new(name)));
    }

    /// `<name>text</name>`, escaped; `<name/>` for nothing.
    pub fn text(&mut self, name: &str, text: Option<&str>) {
        match text {
            Some(t) => {
                let _ = self
                    .0
                    .create_element(name)
                    .write_text_content(BytesText::new(t));
            }
            None => {
                let _ = self.0.create_element(name).write_empty();
            }
        }
    }

    fn finish(self) -> String {
        String::from_utf8(self.0.into_inner()).unwrap_or_default()
    }
}

/// The answer's body in `fmt`.
pub fn body<A: Answer + ?Sized>(a: &A, fmt: Fmt) -> String {
    match fmt {
        Fmt::Json => serde_json::to_string(a).unwrap_or_else(|_| "[]".to_owned()),
        Fmt::Xml => {
            let mut w = Xml::new();
            a.xml(&mut w);
            w.finish()
        }
    }
}

fn yes(b: bool) -> Option<&'static str> {
    Some(if b { "true" } else { "false" })
}

impl Answer for [Service] {
    fn xml(&self, w: &mut Xml) {
        w.node("services", |w| {
            for s in self {
                w.node("service", |w| {
                    w.text("service_code", Some(&s.service_code));
                    w.text("service_name", Some(&s.service_name));
                    w.text("description", Some(&s.description));
                    w.text("metadata", yes(s.metadata));
                    w.text("type", Some(s.kind));
                    w.text("keywords", Some(&s.keywords));
                    w.text("group", Some(&s.group));
                });
            }
        });
    }
}

impl Answer for Definition {
    fn xml(&self, w: &mut Xml) {
        w.node("service_definition", |w| {
            w.text("service_code", Some(&self.service_code));
            w.node("attributes", |w| {
                for a in &self.attributes {
                    w.node("attribute", |w| {
                        w.text("variable", yes(a.variable));
                        w.text("code", Some(a.code));
                        w.text("datatype", Some(a.datatype));
                        w.text("required", yes(a.required));
                        w.text("datatype_description", a.datatype_description);
                        w.text("order", Some(&a.order.to_string()));
                        w.text("description", Some(a.description));
                    });
                }
            });
        });
    }
}

impl Answer for [Filed] {
    fn xml(&self, w: &mut Xml) {
        w.node("service_requests", |w| {
            for f in self {
                w.node("request", |w| {
                    w.text("service_request_id", Some(&f.service_request_id));
                    w.text("service_notice", Some(&f.service_notice));
                    w.text("account_id", f.account_id.as_deref());
                });
            }
        });
    }
}

impl Answer for [Status] {
    fn xml(&self, w: &mut Xml) {
        w.node("service_requests", |w| {
            for s in self {
                w.node("request", |w| {
                    w.text("service_request_id", Some(&s.service_request_id));
                    w.text("status", Some(s.status));
                    w.text("status_notes", s.status_notes.as_deref());
                    w.text("service_name", Some(&s.service_name));
                    w.text("service_code", Some(&s.service_code));
                    w.text("description", s.description.as_deref());
                    w.text("agency_responsible", s.agency_responsible.as_deref());
                    w.text("service_notice", s.service_notice.as_deref());
                    w.text("requested_datetime", Some(&s.requested_datetime));
                    w.text("updated_datetime", s.updated_datetime.as_deref());
                    w.text("expected_datetime", s.expected_datetime.as_deref());
                    w.text("address", s.address.as_deref());
                    w.text("address_id", s.address_id.as_deref());
                    w.text("zipcode", s.zipcode.as_deref());
                    w.text("lat", s.lat.map(|v| v.to_string()).as_deref());
                    w.text("long", s.long.map(|v| v.to_string()).as_deref());
                    w.text("media_url", s.media_url.as_deref());
                });
            }
        });
    }
}

impl Answer for [ApiErr] {
    fn xml(&self, w: &mut Xml) {
        w.node("errors", |w| {
            for e in self {
                w.node("error", |w| {
                    w.text("code", Some(&e.code.to_string()));
                    w.text("description", Some(&e.description));
                });
            }
        });
    }
}

/// An instant as the spec writes it (W3C, with the offset): China time.
pub fn w3c(ms: i64) -> String {
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("+08:00 is an offset");
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&china)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_what_a_request_says() {
        let e = [ApiErr {
            code: 400,
            description: "<b>&\"x\"".to_owned(),
        }];
        let x = body(&e[..], Fmt::Xml);
        assert!(
            x.contains("<description>&lt;b&gt;&amp;&quot;x&quot;</description>"),
            "{x}"
        );
        assert!(x.starts_with(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>400</code>"
        ));
        assert_eq!(
            body(&e[..], Fmt::Json),
            r#"[{"code":400,"description":"<b>&\"x\""}]"#
        );
    }

    #[test]
    fn instants_are_written_in_china_time_with_the_offset() {
        // 2026-12-04T08:30:00Z
        assert_eq!(w3c(1_796_373_000_000), "2026-12-04T16:30:00+08:00");
    }

    #[test]
    fn only_json_and_xml_are_formats() {
        assert_eq!(Fmt::split("services.json"), Some(("services", Fmt::Json)));
        assert_eq!(
            Fmt::split("parking.spaces.street.xml"),
            Some(("parking.spaces.street", Fmt::Xml))
        );
        assert_eq!(Fmt::split("services.html"), None);
        assert_eq!(Fmt::split("services"), None);
    }
}
