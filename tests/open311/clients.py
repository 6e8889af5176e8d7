"""Drive a running jiesu-server's Open311 endpoint with third-party clients from PyPI.

    clients.py ROOT API_KEY JURISDICTION

ROOT is the endpoint (http://host:port/open311/v2). `georeport` reads services, definitions
and requests in JSON and XML; `civicbot` files a request exactly as its users would (a form
POST, checked against the live service list and definition first); a plain form POST files
one answered in XML. Every answer is checked against the spec's shapes
(tests/open311/schema: JSON Schema and XSD). Prints one JSON object: the ids filed, the
notices, and every answer's raw text, for the Rust test (crates/jiesu-server/tests/it/
open311.rs) to check that nothing personal was in any of them and that the requests reach
the community's app after a sync. Exits non-zero on the first broken expectation.
"""

import json
import pathlib
import sys

import jsonschema
import requests
import xmlschema
import xmltodict
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from civicbot.http import HttpTransport, RateLimiter
from georeport import GeoReport

HERE = pathlib.Path(__file__).parent
XSD = xmlschema.XMLSchema(str(HERE / "schema" / "open311.xsd"))


def schema(name):
    return json.loads((HERE / "schema" / f"{name}.json").read_text())


def main(root, key, jurisdiction):
    raw = []

    def get(path, **params):
        r = requests.get(f"{root}/{path}", params=params, timeout=20)
        raw.append(r.text)
        return r

    def checked_json(path, shape, **params):
        r = get(path, **params)
        assert r.status_code == 200, (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/json"), r.headers
        body = r.json()
        jsonschema.validate(body, schema(shape))
        return body

    def checked_xml(path, **params):
        r = get(path, **params)
        assert r.headers["content-type"].startswith("text/xml"), r.headers
        XSD.validate(r.text)
        return r

    # Read side, through georeport, in both formats.
    geo = GeoReport(root, jurisdiction=jurisdiction)
    geo_xml = GeoReport(root, jurisdiction=jurisdiction, output_format="xml")
    services = geo.get_service_list()
    jsonschema.validate(services, schema("services"))
    codes = {s["service_code"] for s in services}
    assert "housing.leak.pipe" in codes, codes
    services_xml = geo_xml.get_service_list()
    assert {s["service_code"] for s in services_xml} == codes, "XML lists other services"
    checked_json("services.json", "services", jurisdiction_id=jurisdiction)
    checked_xml("services.xml", jurisdiction_id=jurisdiction)

    definition = geo.get_service_definition("housing.leak.pipe")
    jsonschema.validate(definition, schema("definition"))
    assert [a["code"] for a in definition["attributes"]] == ["building", "unit", "room"], definition
    assert geo_xml.get_service_definition("housing.leak.pipe")["service_code"] == "housing.leak.pipe"
    checked_xml("services/housing.leak.pipe.xml")

    # File through civicbot: it checks the form against the live list and definition first.
    endpoint = Endpoint(id="jiesu", name="Jiesu", base_url=root, write=True)
    bot = Open311Client(
        endpoint,
        transport=HttpTransport(rate_limiter=RateLimiter(min_interval=0.0)),
        jurisdiction_id=jurisdiction,
    )
    sent = bot.create_request(
        "housing.leak.pipe",
        dry_run=False,
        confirm="SEND",
        api_key=key,
        validate_remote=True,
        address_string="和美小区东门",
        description="三号楼楼道水管爆裂，水流到电梯井",
        first_name="秀英",
        last_name="王",
        phone="13800138000",
        email="wxy@example.cn",
        attributes={"building": "3号楼", "unit": "2单元", "room": "1503"},
    )
    filed = sent.response
    raw.append(json.dumps(filed, ensure_ascii=False))
    jsonschema.validate(filed, schema("filed"))
    first = filed[0]["service_request_id"]

    # A form POST answered in XML, as the spec describes it.
    r = requests.post(
        f"{root}/requests.xml",
        data={
            "api_key": key,
            "jurisdiction_id": jurisdiction,
            "service_code": "parking.illegal.fire_lane",
            "lat": "30.5928",
            "long": "114.3055",
            "description": "消防通道被私家车堵住",
            "phone": "+86 139-0013-9000",
        },
        timeout=20,
    )
    raw.append(r.text)
    assert r.status_code == 201, (r.status_code, r.text)
    XSD.validate(r.text)
    second = xmltodict.parse(r.text)["service_requests"]["request"]["service_request_id"]

    # Status, through georeport, both formats; the listing holds both.
    one = geo.get_service_request(first)
    jsonschema.validate([one], schema("requests"))
    assert one["status"] == "open" and one["service_code"] == "housing.leak.pipe", one
    assert geo_xml.get_service_request(second)["service_request_id"] == second
    listed = checked_json("requests.json", "requests", jurisdiction_id=jurisdiction)
    assert {first, second} <= {x["service_request_id"] for x in listed}, listed
    by_ids = geo.get_service_requests(service_request_id=f"{first},{second}")
    assert {x["service_request_id"] for x in by_ids} == {first, second}, by_ids
    assert geo.get_service_requests(status="closed") == [], "nothing is closed yet"
    checked_xml("requests.xml", jurisdiction_id=jurisdiction)
    checked_xml(f"requests/{first}.xml")

    # Refusals are the spec's error lists, in both formats.
    for fmt in ("json", "xml"):
        r = requests.post(
            f"{root}/requests.{fmt}",
            data={"api_key": "not-a-key", "jurisdiction_id": jurisdiction,
                  "service_code": "housing.leak.pipe", "description": "x", "address_string": "y"},
            timeout=20,
        )
        raw.append(r.text)
        assert r.status_code == 403, (r.status_code, r.text)
        if fmt == "json":
            jsonschema.validate(r.json(), schema("errors"))
        else:
            XSD.validate(r.text)
    r = get("services/no.such.service.json")
    assert r.status_code == 404, r.status_code
    jsonschema.validate(r.json(), schema("errors"))
    r = get("requests/0190b5d2-0000-7000-8000-000000000000.xml")
    assert r.status_code == 404, r.status_code
    XSD.validate(r.text)

    print(json.dumps({
        "filed": [first, second],
        "notices": [filed[0]["service_notice"]],
        "raw": raw,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main(*sys.argv[1:4])
