"""Conformance of a schema registry to the Confluent REST contract, through Confluent's own
Python client (confluent-kafka: SchemaRegistryClient, AvroSerializer, AvroDeserializer).
Expectations come from Confluent's API reference and the client's documentation, not from
our implementation. Prints one JSON line per check; exits 1 if any check failed, 2 if the
script could not run its checks at all. Dev/test tool only; talks to the given URL only.

usage: registry_conformance.py <registry-url>
"""
import json
import secrets
import sys
import traceback

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

NS = "nids.conformance"
INCOMPATIBLE = (409, 40901)
failures = 0


def report(check, ok, detail=None):
    global failures
    if not ok:
        failures += 1
    line = {"check": check, "ok": bool(ok)}
    if detail is not None:
        line["detail"] = detail
    print(json.dumps(line, default=str), flush=True)


def check(name, fn):
    """Runs fn(); a falsy return or an exception fails the check."""
    try:
        result = fn()
        if isinstance(result, tuple):
            ok, detail = result
        else:
            ok, detail = result, None
        report(name, ok, detail)
    except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the run
        report(name, False, f"{type(e).__name__}: {e} | {traceback.format_exc(limit=2)}")


def expect_error(name, fn, status, codes):
    codes = codes if isinstance(codes, tuple) else (codes,)
    try:
        got = fn()
        report(name, False, f"expected HTTP {status} error_code {codes}, got a result: {got!r}")
    except SchemaRegistryError as e:
        ok = e.http_status_code == status and e.error_code in codes
        report(name, ok, {"http_status_code": e.http_status_code, "error_code": e.error_code, "message": e.error_message})
    except Exception as e:  # noqa: BLE001
        report(name, False, f"expected SchemaRegistryError, got {type(e).__name__}: {e}")


def unique(prefix):
    return f"{prefix}-py-{secrets.token_hex(4)}"


def avro_name(prefix):
    return f"{prefix}_{secrets.token_hex(4)}"


def record(name, fields):
    return json.dumps({"type": "record", "name": name, "namespace": NS, "fields": fields})


def main() -> int:
    url = sys.argv[1]
    conf = {"url": url, "timeout": 15, "max.retries": 0}

    def client():
        # A fresh client per call that must reach the server: the client caches answers.
        return SchemaRegistryClient(conf)

    sr = client()

    # --- register, get, lookup, latest, by version, subjects, versions -----------------
    s1, s2 = unique("conf-reg"), unique("conf-reg")
    name = avro_name("PyReg")
    v1 = record(name, [{"name": "a", "type": "int"}, {"name": "b", "type": "string"}])
    schema1 = Schema(v1, "AVRO")
    ids = {}

    def register_first():
        ids["v1"] = sr.register_schema(s1, schema1)
        return isinstance(ids["v1"], int), ids["v1"]
    check("register_schema returns an int id", register_first)
    check("register_schema of the same schema again: same id",
          lambda: (client().register_schema(s1, schema1) == ids["v1"], None))
    check("get_versions after registering twice: [1]", lambda: (client().get_versions(s1) == [1], client().get_versions(s1)))
    check("the same schema under another subject: same id",
          lambda: client().register_schema(s2, Schema(v1, "AVRO")) == ids["v1"])
    check("its own version in that subject: [1]", lambda: client().get_versions(s2) == [1])

    def get_schema():
        got = client().get_schema(ids["v1"])
        parsed = json.loads(got.schema_str)
        ok = parsed.get("name") in (name, f"{NS}.{name}") and [f["name"] for f in parsed["fields"]] == ["a", "b"]
        return ok and got.schema_type in (None, "AVRO"), got.schema_str
    check("get_schema(id) returns the registered schema", get_schema)

    def lookup():
        reg = client().lookup_schema(s1, Schema(v1, "AVRO"))
        return (reg.schema_id, reg.version, reg.subject) == (ids["v1"], 1, s1), [reg.schema_id, reg.version, reg.subject]
    check("lookup_schema: id, version and subject", lookup)

    def latest():
        reg = client().get_latest_version(s1)
        return (reg.schema_id, reg.version) == (ids["v1"], 1), [reg.schema_id, reg.version]
    check("get_latest_version", latest)

    def version():
        reg = client().get_version(s1, 1)
        return (reg.schema_id, reg.version, reg.subject) == (ids["v1"], 1, s1), [reg.schema_id, reg.version, reg.subject]
    check("get_version(s, 1)", version)

    def subjects():
        subs = client().get_subjects()
        return s1 in subs and s2 in subs, len(subs)
    check("get_subjects lists both subjects", subjects)

    unknown = Schema(record(avro_name("PyNever"), [{"name": "a", "type": "int"}]), "AVRO")
    expect_error("get_schema of an unknown id: 40403", lambda: client().get_schema(2147483000), 404, 40403)
    expect_error("get_version of a missing version: 40402", lambda: client().get_version(s1, 99), 404, 40402)
    expect_error("get_version of an unknown subject: 40401", lambda: client().get_version(unique("conf-none"), 1), 404, 40401)
    expect_error("get_versions of an unknown subject: 40401", lambda: client().get_versions(unique("conf-none")), 404, 40401)
    expect_error("lookup_schema of an unregistered schema: 40403", lambda: client().lookup_schema(s1, unknown), 404, 40403)
    expect_error("lookup_schema under an unknown subject: 40401", lambda: client().lookup_schema(unique("conf-none"), schema1), 404, 40401)
    expect_error("get_version(s, 0): 42202", lambda: client().get_version(s1, 0), 422, 42202)
    expect_error("register_schema of invalid Avro: 42201",
                 lambda: client().register_schema(unique("conf-bad"), Schema('{"type":"record","name":"NoFields"}', "AVRO")), 422, 42201)
    expect_error("register_schema of a JSON Schema: 42201 (Avro only)",
                 lambda: client().register_schema(unique("conf-bad"), Schema('{"type":"object"}', "JSON")), 422, 42201)
    expect_error("register_schema of a PROTOBUF schema: 42201 (Avro only)",
                 lambda: client().register_schema(unique("conf-bad"), Schema('syntax = "proto3";\nmessage M { string a = 1; }\n', "PROTOBUF")),
                 422, 42201)

    # --- compatibility -----------------------------------------------------------------
    cs = unique("conf-compat")
    base = [{"name": "a", "type": "int"}]
    cname = avro_name("PyCompat")
    add_default = Schema(record(cname, base + [{"name": "b", "type": "string", "default": "x"}]), "AVRO")
    add_plain = Schema(record(cname, base + [{"name": "b", "type": "string"}]), "AVRO")
    expect_error("get_compatibility of a subject without its own level: 40408", lambda: client().get_compatibility(cs), 404, 40408)
    check("set_compatibility(s, FULL) echoes the level",
          lambda: (client().set_compatibility(cs, "FULL").get("compatibility") == "FULL", None))
    check("get_compatibility(s) after set: FULL", lambda: client().get_compatibility(cs) == "FULL")
    check("set_compatibility(s, BACKWARD)", lambda: client().set_compatibility(cs, "BACKWARD").get("compatibility") == "BACKWARD")
    check("get_compatibility(s): BACKWARD", lambda: client().get_compatibility(cs) == "BACKWARD")
    expect_error("set_compatibility with a bad level: 42203", lambda: client().set_compatibility(cs, "SIDEWAYS"), 422, 42203)
    check("get_compatibility() (global) is a level",
          lambda: client().get_compatibility() in ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"))
    check("register v1 under BACKWARD", lambda: isinstance(client().register_schema(cs, Schema(record(cname, base), "AVRO")), int))
    check("test_compatibility: adding a field with a default is BACKWARD compatible",
          lambda: client().test_compatibility(cs, add_default) is True)
    check("test_compatibility: adding a field without a default is not",
          lambda: client().test_compatibility(cs, add_plain) is False)
    check("test_compatibility(verbose=True) still answers is_compatible",
          lambda: client().test_compatibility(cs, add_plain, verbose=True) is False)
    check("test_compatibility against version 1", lambda: client().test_compatibility(cs, add_default, version=1) is True)
    expect_error("register an incompatible schema: HTTP 409", lambda: client().register_schema(cs, add_plain), 409, INCOMPATIBLE)
    check("nothing registered by the refused schema", lambda: client().get_versions(cs) == [1])
    check("register the compatible schema: version 2", lambda: (client().register_schema(cs, add_default), client().get_versions(cs) == [1, 2])[1])

    # --- deletes -----------------------------------------------------------------------
    ds = unique("conf-del")
    dname = avro_name("PyDel")
    check("set_compatibility(s, NONE)", lambda: client().set_compatibility(ds, "NONE").get("compatibility") == "NONE")
    check("register two versions", lambda: isinstance(client().register_schema(ds, Schema(record(dname, [{"name": "a", "type": "int"}]), "AVRO")), int)
          and isinstance(client().register_schema(ds, Schema(record(dname, [{"name": "a", "type": "long"}]), "AVRO")), int))
    expect_error("delete_version permanent without soft delete: 40407", lambda: client().delete_version(ds, 2, permanent=True), 404, 40407)
    check("delete_version soft: answers the version", lambda: client().delete_version(ds, 2) == 2)
    check("get_versions no longer lists it", lambda: client().get_versions(ds) == [1])
    check("get_versions(deleted=True) does", lambda: client().get_versions(ds, deleted=True) == [1, 2])
    check("get_version(deleted=True) still returns it", lambda: client().get_version(ds, 2, deleted=True).version == 2)
    expect_error("delete_version soft twice: 40406", lambda: client().delete_version(ds, 2), 404, 40406)
    check("delete_version permanent after soft", lambda: client().delete_version(ds, 2, permanent=True) == 2)
    check("get_versions(deleted=True) after permanent", lambda: client().get_versions(ds, deleted=True) == [1])

    expect_error("delete_subject permanent without soft delete: 40405", lambda: client().delete_subject(ds, permanent=True), 404, 40405)
    check("delete_subject soft: answers the versions", lambda: client().delete_subject(ds) == [1])
    check("get_subjects no longer lists it", lambda: ds not in client().get_subjects())
    check("get_subjects(deleted=True) does", lambda: ds in client().get_subjects(deleted=True))
    expect_error("get_versions of a soft-deleted subject: 40401", lambda: client().get_versions(ds), 404, 40401)
    expect_error("delete_subject soft twice: 40404", lambda: client().delete_subject(ds), 404, 40404)
    check("delete_subject permanent after soft", lambda: client().delete_subject(ds, permanent=True) == [1])
    check("get_subjects(deleted=True) after permanent", lambda: ds not in client().get_subjects(deleted=True))
    expect_error("delete_subject of an unknown subject: 40401", lambda: client().delete_subject(unique("conf-none")), 404, 40401)

    # --- AvroSerializer / AvroDeserializer: evolve under BACKWARD, read old bytes ------------
    topic = unique("conf-serde")
    subject = f"{topic}-value"
    ctx = SerializationContext(topic, MessageField.VALUE)
    rname = avro_name("PyFlow")
    w1 = record(rname, [{"name": "id", "type": "long"}, {"name": "proto", "type": "string"}])
    w2 = record(rname, [{"name": "id", "type": "long"}, {"name": "proto", "type": "string"},
                        {"name": "score", "type": "double", "default": 0.5}])
    w3 = record(rname, [{"name": "id", "type": "long"}, {"name": "proto", "type": "string"},
                        {"name": "score", "type": "double", "default": 0.5}, {"name": "label", "type": "string"}])
    check("set_compatibility(<topic>-value, BACKWARD) before the first registration",
          lambda: client().set_compatibility(subject, "BACKWARD").get("compatibility") == "BACKWARD")
    old = {}

    def serialize_v1():
        ser = AvroSerializer(client(), w1, conf={"auto.register.schemas": True})
        data = ser({"id": 7, "proto": "tcp"}, ctx)
        old["bytes"] = data
        sid = int.from_bytes(data[1:5], "big")
        reg = client().lookup_schema(subject, Schema(w1, "AVRO"))
        return data[0] == 0 and sid == reg.schema_id and reg.version == 1, {"id_in_bytes": sid, "registered": reg.schema_id}
    check("AvroSerializer v1 registers under <topic>-value and frames magic 0 + schema id", serialize_v1)

    def serialize_v2():
        ser = AvroSerializer(client(), w2, conf={"auto.register.schemas": True})
        data = ser({"id": 8, "proto": "udp", "score": 0.9}, ctx)
        old["bytes2"] = data
        return client().get_versions(subject) == [1, 2], client().get_versions(subject)
    check("AvroSerializer v2 (a field with a default) is accepted under BACKWARD as version 2", serialize_v2)

    check("AvroDeserializer with reader v2 reads v1 bytes, filling the default",
          lambda: (lambda r: (r == {"id": 7, "proto": "tcp", "score": 0.5}, r))(AvroDeserializer(client(), w2)(old["bytes"], ctx)))
    check("AvroDeserializer with the writer schema reads v2 bytes",
          lambda: (lambda r: (r == {"id": 8, "proto": "udp", "score": 0.9}, r))(AvroDeserializer(client())(old["bytes2"], ctx)))
    check("AvroDeserializer with the writer schema reads v1 bytes",
          lambda: (lambda r: (r == {"id": 7, "proto": "tcp"}, r))(AvroDeserializer(client())(old["bytes"], ctx)))
    expect_error("AvroSerializer v3 (a field without a default) is refused under BACKWARD: HTTP 409",
                 lambda: AvroSerializer(client(), w3, conf={"auto.register.schemas": True})(
                     {"id": 9, "proto": "tcp", "score": 0.1, "label": "x"}, ctx),
                 409, INCOMPATIBLE)

    def use_latest():
        ser = AvroSerializer(client(), None, conf={"auto.register.schemas": False, "use.latest.version": True})
        data = ser({"id": 10, "proto": "icmp", "score": 0.25}, ctx)
        latest = client().get_latest_version(subject)
        return int.from_bytes(data[1:5], "big") == latest.schema_id and latest.version == 2, latest.version
    check("AvroSerializer use.latest.version frames the latest version's id", use_latest)

    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # noqa: BLE001
        report("script", False, f"{type(e).__name__}: {e} | {traceback.format_exc()}")
        sys.exit(2)
