//! What a civic app may file, read from its form: the services (the shipped category tree's
//! leaves), their attributes, and the checks a `POST requests` passes before anything is
//! written. Pure functions; `super` does the writing.

use jiesu_protocol::catalog::{Category, categories};
use jiesu_protocol::event::Intake;
use jiesu_protocol::model::{Address, Channel, Resident, Urgency};
use jiesu_protocol::validate;

use super::render::{Attribute, Definition, Service};

/// Longest description the spec allows.
pub const MAX_DESCRIPTION: usize = 4000;
/// Longest address string, attribute, name or e-mail taken.
pub const MAX_FIELD: usize = 200;
/// Longest media URL taken.
pub const MAX_URL: usize = 2000;

/// Every leaf of the tree as a service, depth-first: `group` is its level-1 name.
pub fn services() -> Vec<Service> {
    fn walk(nodes: &[Category], path: &[&Category], out: &mut Vec<Service>) {
        for n in nodes {
            let mut here = path.to_vec();
            here.push(n);
            if n.children.is_empty() {
                let zh: Vec<&str> = here.iter().map(|c| c.zh.as_str()).collect();
                let en: Vec<&str> = here.iter().map(|c| c.en.as_str()).collect();
                out.push(Service {
                    service_code: n.code.clone(),
                    service_name: n.zh.clone(),
                    description: zh.join(" / "),
                    metadata: true,
                    kind: "realtime",
                    keywords: zh
                        .iter()
                        .chain(en.iter())
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", "),
                    group: here[0].zh.clone(),
                });
            } else {
                walk(&n.children, &here, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&categories(), &[], &mut out);
    out
}

/// The service of `code`, if it is one.
pub fn service(code: &str) -> Option<Service> {
    services().into_iter().find(|s| s.service_code == code)
}

/// The attributes every service takes: where in the compound the problem is.
pub fn definition(code: &str) -> Definition {
    let attr = |code, order, description| Attribute {
        variable: true,
        code,
        datatype: "string",
        required: false,
        datatype_description: None,
        order,
        description,
    };
    Definition {
        service_code: code.to_owned(),
        attributes: vec![
            attr("building", 1, "楼栋（如 27号楼）/ Building"),
            attr("unit", 2, "单元（如 3单元）/ Entrance"),
            attr("room", 3, "室（如 502）/ Room"),
        ],
    }
}

/// A request that passed every check, ready to become a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Filing {
    /// The api key as sent.
    pub api_key: String,
    /// The community it is for.
    pub jurisdiction: String,
    /// The intake, channel 线上.
    pub intake: Intake,
}

/// Why a form was refused: the spec's 400 with a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bad(pub String);

fn bad<T>(s: impl Into<String>) -> Result<T, Bad> {
    Err(Bad(s.into()))
}

/// Read a `POST requests` form. Unknown plain keys are ignored, as the spec lets clients send
/// extensions; an unknown attribute or a key given twice is refused.
pub fn read(pairs: &[(String, String)]) -> Result<Filing, Bad> {
    let mut seen: Vec<&str> = Vec::new();
    for (k, _) in pairs {
        if seen.contains(&k.as_str()) {
            return bad(format!("{k} is given more than once"));
        }
        seen.push(k);
    }
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let api_key = get("api_key").unwrap_or_default().to_owned();
    let Some(jurisdiction) = get("jurisdiction_id") else {
        return bad("jurisdiction_id is required: the id of the community the request is for");
    };
    let Some(code) = get("service_code") else {
        return bad("service_code is required");
    };
    if service(code).is_none() {
        return bad(format!(
            "service_code {code} is not a service of this endpoint"
        ));
    }
    let description = get("description").unwrap_or_default();
    if description.is_empty() {
        return bad("description is required: what is wrong");
    }
    if description.chars().nth(MAX_DESCRIPTION).is_some() {
        return bad(format!(
            "description is longer than {MAX_DESCRIPTION} characters"
        ));
    }
    let position = match (get("lat"), get("long")) {
        (None, None) => None,
        (Some(lat), Some(long)) => {
            let (Ok(lat), Ok(long)) = (lat.parse::<f64>(), long.parse::<f64>()) else {
                return bad("lat and long must be decimal degrees");
            };
            let inside = lat.is_finite()
                && long.is_finite()
                && (-90.0..=90.0).contains(&lat)
                && (-180.0..=180.0).contains(&long);
            if !inside {
                return bad("lat must be within ±90 and long within ±180");
            }
            Some((lat, long))
        }
        _ => return bad("lat and long must be given together"),
    };
    let address_string = get("address_string").unwrap_or_default();
    if address_string.is_empty() && position.is_none() {
        if get("address_id").is_some() {
            return bad("address_id is not known here: send address_string or lat and long");
        }
        return bad("a location is required: address_string, or lat and long");
    }
    let mut attrs = Address::default();
    for (k, v) in pairs {
        let Some(name) = k
            .strip_prefix("attribute[")
            .and_then(|r| r.strip_suffix(']'))
        else {
            continue;
        };
        let slot = match name {
            "building" => &mut attrs.building,
            "unit" => &mut attrs.unit,
            "room" => &mut attrs.room,
            other => {
                return bad(format!(
                    "attribute {other} is not an attribute of this service"
                ));
            }
        };
        *slot = v.trim().to_owned();
    }
    let first = get("first_name").unwrap_or_default();
    let last = get("last_name").unwrap_or_default();
    let name = if first.is_ascii() && last.is_ascii() {
        format!("{first} {last}").trim().to_owned()
    } else {
        format!("{last}{first}")
    };
    let phone = match get("phone") {
        None => String::new(),
        Some(p) => phone(p)?,
    };
    let email = get("email").unwrap_or_default();
    if !email.is_empty() && (!email.contains('@') || email.chars().count() > MAX_FIELD) {
        return bad("email must be an e-mail address");
    }
    let media = get("media_url").unwrap_or_default();
    if !media.is_empty()
        && (!(media.starts_with("https://") || media.starts_with("http://"))
            || media.chars().count() > MAX_URL
            || media.chars().any(char::is_whitespace))
    {
        return bad(format!(
            "media_url must be an http(s) URL of at most {MAX_URL} characters"
        ));
    }
    for (field, v) in [
        ("address_string", address_string),
        ("attribute[building]", attrs.building.as_str()),
        ("attribute[unit]", attrs.unit.as_str()),
        ("attribute[room]", attrs.room.as_str()),
        ("first_name and last_name", name.as_str()),
    ] {
        if v.chars().count() > MAX_FIELD || v.chars().any(char::is_control) {
            return bad(format!(
                "{field} must be at most {MAX_FIELD} characters, none of them control characters"
            ));
        }
    }
    // The log has no field for an e-mail or a photo's address: they are kept with what the
    // resident wrote (never public, like the description) rather than dropped.
    let mut text = description.to_owned();
    if !email.is_empty() {
        text.push_str(&format!("\n联系邮箱：{email}"));
    }
    if !media.is_empty() {
        text.push_str(&format!("\n照片链接：{media}"));
    }
    let mut location = address_string.to_owned();
    if let Some((lat, long)) = position {
        let at = format!("坐标 {lat:.6}, {long:.6}");
        location = if location.is_empty() {
            at
        } else {
            format!("{location}（{at}）")
        };
    }
    let intake = Intake {
        channel: Channel::Online,
        work_order_no: String::new(),
        category: code.to_owned(),
        urgency: Urgency::Normal,
        resident: Resident { name, phone },
        address: attrs,
        description: text,
        location,
        attachment: None,
        meeting: None,
    };
    // The same rule every replica holds a stored intake to.
    if let Err(e) = validate::intake(&intake) {
        return bad(format!("the request cannot be filed: {e}"));
    }
    Ok(Filing {
        api_key,
        jurisdiction: jurisdiction.to_owned(),
        intake,
    })
}

/// A phone number as people write it: spaces, dashes, brackets and a leading +86 (or 0086)
/// dropped; then 5 to 20 digits.
fn phone(typed: &str) -> Result<String, Bad> {
    let kept: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let digits = kept
        .strip_prefix("+86")
        .or_else(|| kept.strip_prefix("0086"))
        .unwrap_or(&kept);
    if digits.chars().all(|c| c.is_ascii_digit()) && (5..=20).contains(&digits.len()) {
        Ok(digits.to_owned())
    } else {
        bad("phone must be a phone number of 5 to 20 digits")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut f: Vec<(String, String)> = [
            ("api_key", "k"),
            ("jurisdiction_id", "hm"),
            ("service_code", "housing.leak.pipe"),
            ("description", "楼道水管漏水"),
            ("address_string", "和美小区"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in extra {
            f.retain(|(key, _)| key != k);
            f.push((k.to_string(), v.to_string()));
        }
        f
    }

    #[test]
    fn services_are_the_trees_leaves_grouped_by_their_first_level() {
        let s = services();
        assert!(
            s.iter()
                .any(|s| s.service_code == "parking.illegal.fire_lane"
                    && s.group == "停车管理"
                    && s.description == "停车管理 / 违章停车 / 占用消防通道")
        );
        assert!(
            s.iter()
                .all(|s| jiesu_protocol::catalog::is_category(&s.service_code))
        );
        assert!(
            !s.iter().any(|s| s.service_code == "parking"),
            "a branch is not a service"
        );
        assert!(
            service("parking.zombie").is_some(),
            "a childless second level is a leaf"
        );
    }

    #[test]
    fn a_full_form_becomes_an_online_intake() {
        let f = read(&form(&[
            ("lat", "39.9042"),
            ("long", "116.4074"),
            ("first_name", "明"),
            ("last_name", "王"),
            ("phone", "+86 138-0013-8000"),
            ("email", "w@example.cn"),
            ("media_url", "https://img.example.cn/1.jpg"),
            ("attribute[building]", "27号楼"),
            ("attribute[room]", "502"),
            ("device_id", "ignored"),
        ]))
        .unwrap();
        assert_eq!(f.jurisdiction, "hm");
        let i = f.intake;
        assert_eq!(i.channel, Channel::Online);
        assert_eq!(i.resident.name, "王明");
        assert_eq!(i.resident.phone, "13800138000");
        assert_eq!(i.address.building, "27号楼");
        assert_eq!(i.address.room, "502");
        assert_eq!(i.location, "和美小区（坐标 39.904200, 116.407400）");
        assert!(
            i.description
                .starts_with("楼道水管漏水\n联系邮箱：w@example.cn\n照片链接：https://")
        );
    }

    #[test]
    fn each_missing_or_wrong_field_is_named() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("service_code", "parking")],
                "service_code parking is not a service",
            ),
            (&[("service_code", "")], "service_code is required"),
            (&[("jurisdiction_id", " ")], "jurisdiction_id is required"),
            (&[("description", "")], "description is required"),
            (&[("address_string", "")], "a location is required"),
            (
                &[("address_string", ""), ("address_id", "7")],
                "address_id is not known",
            ),
            (&[("lat", "39.9")], "lat and long must be given together"),
            (&[("lat", "91"), ("long", "116")], "within ±90"),
            (&[("lat", "NaN"), ("long", "116")], "within ±90"),
            (&[("lat", "x"), ("long", "116")], "decimal degrees"),
            (&[("phone", "call me")], "phone must be"),
            (&[("phone", "123")], "phone must be"),
            (&[("email", "nobody")], "email must be"),
            (&[("media_url", "file:///etc/passwd")], "media_url must be"),
            (&[("media_url", "javascript:alert(1)")], "media_url must be"),
            (&[("attribute[floor]", "3")], "attribute floor is not"),
            (&[("address_string", "a\u{1b}[2J")], "control characters"),
        ];
        for (extra, says) in cases {
            let Err(Bad(why)) = read(&form(extra)) else {
                panic!("{extra:?} was taken");
            };
            assert!(why.contains(says), "{extra:?}: {why}");
        }
        let long = "水".repeat(MAX_DESCRIPTION + 1);
        let Err(Bad(why)) = read(&form(&[("description", &long)])) else {
            panic!("a long description was taken");
        };
        assert!(why.contains("longer than 4000"), "{why}");
        let mut twice = form(&[]);
        twice.push(("service_code".into(), "parking.zombie".into()));
        assert!(read(&twice).unwrap_err().0.contains("more than once"));
    }

    #[test]
    fn a_description_at_the_limit_with_an_email_is_refused_not_cut() {
        let at = "水".repeat(MAX_DESCRIPTION);
        assert!(read(&form(&[("description", &at)])).is_ok());
        let Err(Bad(why)) = read(&form(&[("description", &at), ("email", "w@example.cn")])) else {
            panic!("taken");
        };
        assert!(why.contains("description"), "{why}");
    }
}
