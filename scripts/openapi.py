"""Regenerate src/leadhub/openapi.json, the OpenAPI document leadhub serves at /openapi.json.

The CRM v3 and v4 part is assembled from HubSpot's published files in
``spec/hubspot/``: every operation leadhub implements, with its published
parameters and schemas (component names get a prefix per file, since the
files define different schemas under the same names). On top of them this
script sets what is leadhub's own: its credentials, the object types it
knows, the alias paths it also answers, and OpenAPI links (create -> read,
update, archive). The v1 Leads API, the form insert and the callback URL are
described here, the v1 lead's fields taken from ``leadhub.leads.fields``.

    python scripts/openapi.py          # rewrite the document
    python scripts/openapi.py --check  # exit 1 if the committed document is stale
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

# Which spec operations leadhub serves is decided as for docs/api-coverage.md.
from api_coverage import METHODS, concrete, routes, served  # noqa: E402, F401

from leadhub import __version__  # noqa: E402
from leadhub.crm_types import TYPE_BY_NAME  # noqa: E402
from leadhub.leads import fields as F  # noqa: E402

SPEC_DIR = ROOT / "spec" / "hubspot"
OUT = ROOT / "src" / "leadhub" / "openapi.json"
# Each file with the prefix its component names get.
SPECS = {
    "crm-leads-v3.json": "Leads",
    "crm-objects-v3.json": "Objects",
    "crm-properties-v3.json": "Properties",
    "crm-associations-v4.json": "Associations",
    "crm-associations-schema-v4.json": "AssociationsSchema",
}
OBJECT_TYPES = sorted(TYPE_BY_NAME)
# Path parameters naming an object type: leadhub knows these types only.
TYPE_PARAMS = {"objectType", "fromObjectType", "toObjectType"}
# Other paths leadhub answers with the same operation as a published path.
ALIASES = {
    "/crm/associations/v4/definitions/configurations/":
        "/crm/v4/associations/definitions/configurations/",
    "/crm/associations/v4/{fromObjectType}/{toObjectType}/labels":
        "/crm/v4/associations/{fromObjectType}/{toObjectType}/labels",
}

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "An access token of the portal (`leadhub token create`)."},
    "access_token": {"type": "apiKey", "in": "query", "name": "access_token",
                     "description": "The same token as a query parameter."},
    "hapikey": {"type": "apiKey", "in": "query", "name": "hapikey",
                "description": "The same token as the legacy `hapikey` parameter."},
}
SECURITY = [{"bearer": []}, {"access_token": []}, {"hapikey": []}]


def _prefix_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                kind, _, name = value.removeprefix("#/components/").partition("/")
                out[key] = f"#/components/{kind}/{prefix}{name}"
            else:
                out[key] = _prefix_refs(value, prefix)
        return out
    if isinstance(node, list):
        return [_prefix_refs(v, prefix) for v in node]
    return node


def _own_operation(op: dict[str, Any], prefix: str) -> dict[str, Any]:
    op = _prefix_refs(copy.deepcopy(op), prefix)
    op.pop("security", None)  # leadhub's credentials are the document's global ones
    for param in op.get("parameters", []):
        if param.get("in") == "path" and param["name"] in TYPE_PARAMS:
            param["schema"] = {"type": "string", "enum": OBJECT_TYPES}
    return op


def _link(operation_id: str, parameters: dict[str, str], description: str) -> dict[str, Any]:
    return {"operationId": operation_id, "parameters": parameters, "description": description}


def _add_links(paths: dict[str, Any]) -> None:
    """create -> read, update, archive; the ids come from the created object."""
    targets = {
        ("/crm/v3/objects/{objectType}", "post"): (
            "/crm/v3/objects/{objectType}/{objectId}",
            {"objectType": "$request.path.objectType", "objectId": "$response.body#/id"}),
        ("/crm/v3/objects/leads", "post"): (
            "/crm/v3/objects/leads/{leadsId}", {"leadsId": "$response.body#/id"}),
        ("/crm/v3/properties/{objectType}", "post"): (
            "/crm/v3/properties/{objectType}/{propertyName}",
            {"objectType": "$request.path.objectType", "propertyName": "$response.body#/name"}),
        ("/crm/v3/properties/{objectType}/groups", "post"): (
            "/crm/v3/properties/{objectType}/groups/{groupName}",
            {"objectType": "$request.path.objectType", "groupName": "$response.body#/name"}),
    }
    for (path, method), (target, params) in targets.items():
        op = paths[path][method]
        links = {}
        for verb in ("get", "patch", "delete"):
            target_op = paths[target][verb]
            links[f"{verb.capitalize()}Created"] = _link(
                target_op["operationId"], params, f"{verb.upper()} the object just created")
        op["responses"]["201"]["links"] = links


def _objects_answer_like_leads(paths: dict[str, Any]) -> None:
    """The generic objects file's answers as the leads file lists them.

    crm-objects-v3.json lists 200 for creates (with a ``CreatedResponse`` body
    no client reads) and no 207 for batches; HubSpot answers the same
    operations as crm-leads-v3.json says: 201 with the object, 207 with
    per-input errors. leadhub does the same on every object type.
    """
    base = "/crm/v3/objects/{objectType}"
    for path, item in paths.items():
        if not path.startswith(base):
            continue
        twin = paths.get("/crm/v3/objects/leads" + path[len(base):].replace(
            "{objectId}", "{leadsId}"))
        if twin is None:
            continue
        for method, op in item.items():
            if method in twin:
                op["responses"] = copy.deepcopy(twin[method]["responses"])


def _subcategory_is_text(components: dict[str, Any]) -> None:
    """An error's ``subCategory`` is a string (as the objects file and HubSpot's answers
    have it); the associations schema file says object."""
    for schema in components.get("schemas", {}).values():
        sub = schema.get("properties", {}).get("subCategory")
        if sub is not None and sub.get("type") == "object":
            sub["type"] = "string"


def _v1_type(kind: str) -> dict[str, Any]:
    return {"str": {"type": "string"}, "bool": {"type": "boolean"},
            "int": {"type": "integer"}, "float": {"type": "number"},
            "ms": {"type": "integer", "description": "milliseconds since the epoch; 0: unset"},
            "source": {"type": "integer", "description": "source id (0: none)"}}[kind]


def _object(props: dict[str, Any], description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "required": sorted(props), "properties": props}
    if description:
        out["description"] = description
    return out


def v1_components() -> dict[str, Any]:
    lead_props: dict[str, Any] = {f.name: _v1_type(f.kind) for f in F.FIELDS}
    lead_props.update({
        "guid": {"type": "string"}, "id": {"type": "string"}, "leadId": {"type": "integer"},
        "portalId": {"type": "integer"}, "insertedAt": {"type": "integer"},
        "lastModifiedAt": {"type": "integer"}, "isDeleted": {"type": "boolean"},
        "isCustomer": {"type": "boolean"}, "foundVia": {"type": "string"},
        "fullFoundViaString": {"type": "string"}, "leadJsonLink": {"type": "string"},
        "leadLink": {"type": "string"}, "publicLeadLink": {"type": "string"},
        "analyticsDetails": {"$ref": "#/components/schemas/V1AnalyticsDetails"},
        "crmDetails": {"$ref": "#/components/schemas/V1CrmDetails"},
        "leadConversionEvents": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/V1ConversionEvent"}},
        "leadCustomerStatusModifyLogs": {"type": "array",
                                         "items": {"$ref": "#/components/schemas/V1Log"}},
        "leadDeleteLogs": {"type": "array", "items": {"$ref": "#/components/schemas/V1Log"}},
    })
    analytics = {f.name: _v1_type(f.kind) for f in F.ANALYTICS_FIELDS}
    analytics.update(id={"type": "string"}, leadGuid={"type": "string"},
                     leadId={"type": "integer"}, portalId={"type": "integer"},
                     userToken={"type": "string"})
    crm = {f.name: _v1_type(f.kind) for f in F.CRM_FIELDS}
    crm["id"] = {"type": "string"}
    common = {"convertDate": {"type": "integer"}, "formGuid": {"type": "string"},
              "formId": {"type": "integer"}, "formName": {"type": "string"}}
    value = {**common, "conversionGuid": {"type": "string"}, "fieldLabel": {"type": "string"},
             "fieldName": {"type": "string"}, "fieldValue": {"type": "string"},
             "id": {"type": "integer"}, "leadGuid": {"type": "string"},
             "portalId": {"type": "integer"}}
    editable = {f.name: _v1_type(f.kind) for f in F.FIELDS if f.editable}
    editable["closedAt"] = {"oneOf": [{"type": "integer"}, {"type": "string"}],
                            "description": "ms since the epoch (number or digits) closes the "
                                           "lead; \"\" reopens it"}
    editable["guid"] = {"type": "string", "description": "the guid of the path"}
    editable["isDeleted"] = {"type": "boolean"}
    return {
        "V1Lead": _object(lead_props, "A lead as the v1 API shows it: every field, always."),
        "V1AnalyticsDetails": _object(analytics),
        "V1CrmDetails": _object(crm),
        "V1ConversionEvent": {"type": "object", "required": sorted(common),
                              "properties": {**common, "formSubmissionValues": {
                                  "type": "array", "items": _object(value)}}},
        "V1Log": _object({"id": {"type": "integer"}, "insertedAt": {"type": "integer"},
                          "previousState": {}}),
        "V1LeadUpdate": {"type": "object", "required": ["guid"], "properties": editable,
                         "description": "Fields to change. Read-only fields may be sent "
                                        "unchanged; unknown fields are a 400."},
        "V1Error": {"type": "object", "required": ["status", "message"], "properties": {
            "status": {"type": "string"}, "message": {"type": "string"},
            "correlationId": {"type": "string"}, "category": {"type": "string"}}},
        "V1CallbackUrl": _object({"url": {"type": "string", "nullable": True},
                                  "portalId": {"type": "integer"}}),
        "FormPost": {"type": "object", "required": ["UserToken", "IPAddress"], "properties": {
            name: {"type": "string"} for name in (
                "UserToken", "IPAddress", "FirstName", "LastName", "Email", "TwitterHandle",
                "Phone", "Fax", "Company", "Address", "JobTitle", "City", "State", "ZipCode",
                "Country", "Message", "Website", "NumberEmployees", "AnnualRevenue",
                "CloseDate", "pageUrl", "pageName", "pageType")},
            "additionalProperties": {"type": "string"},
            "description": "Field names in any case; other fields are kept in the "
                           "conversion event."},
    }


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _v1_error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json("V1Error")}


def _q(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    out = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        out["description"] = description
    return out


def v1_paths() -> dict[str, Any]:
    guid = {"name": "guid", "in": "path", "required": True, "schema": {"type": "string"}}
    leads = {"description": "The leads", "content": {"application/json": {"schema": {
        "type": "array", "items": {"$ref": "#/components/schemas/V1Lead"}}}}}
    errors = {"400": _v1_error("Invalid parameters"), "401": _v1_error("No valid credential"),
              "404": _v1_error("No such lead")}
    boolean = {"type": "boolean"}
    text = {"type": "string", "content": {"text/plain": {"schema": {"type": "string"}}}}
    return {
        "/healthz": {"get": {
            "operationId": "healthz", "summary": "Health check", "security": [],
            "responses": {"200": {"description": "The server is up and its store answers",
                                  "content": {"application/json": {"schema": {
                                      "type": "object", "required": ["status"],
                                      "properties": {"status": {"type": "string"},
                                                     "pid": {"type": "integer"}}}}}}}}},
        "/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This document", "security": [],
            "responses": {"200": {"description": "OpenAPI 3.0 document",
                                  "content": {"application/json": {"schema": {
                                      "type": "object"}}}}}}},
        "/leads/v1/lead/{guid}": {
            "get": {"operationId": "v1-get-lead", "tags": ["Leads v1"],
                    "summary": "Get a single lead (a JSON array holding it)",
                    "description": "Also answered on the path with a trailing slash.",
                    "parameters": [guid], "responses": {"200": leads, **errors}},
            "put": {"operationId": "v1-update-lead", "tags": ["Leads v1"],
                    "summary": "Update a lead",
                    "description": "Also answered on the path with a trailing slash.",
                    "parameters": [guid],
                    "requestBody": {"required": True, "content": _json("V1LeadUpdate")},
                    "responses": {"200": {"description": "Updated (empty body)"}, **errors,
                                  "409": _v1_error("The email belongs to another contact"),
                                  "415": _v1_error("Not a JSON body")}},
        },
        "/leads/v1/lead": {"get": {
            "operationId": "v1-find-lead", "tags": ["Leads v1"],
            "summary": "Get a single lead by email, conversion event or user token",
            "description": "Exactly one of the parameters. Also answered on "
                           "`/leads/v1/lead/`.",
            "parameters": [_q("email", {"type": "string"}),
                           _q("conversionEventGuid", {"type": "string"}),
                           _q("userToken", {"type": "string"})],
            "responses": {"200": leads, **errors}}},
        "/leads/v1/list": {"get": {
            "operationId": "v1-list-leads", "tags": ["Leads v1"],
            "summary": "Get leads from a portal",
            "description": "Also answered on `/leads/v1/list/`. `guids` may also be sent "
                           "as `guids[0]`, `guids[1]`, ... (at most 100: 413).",
            "parameters": [
                _q("search", {"type": "string"}, "words matched in names, email, company"),
                _q("sort", {"type": "string"}, "a field name; default lastModifiedAt"),
                _q("dir", {"type": "string", "enum": ["asc", "desc"]}),
                _q("max", {"type": "integer", "minimum": 1}, "default 10, at most 100"),
                _q("offset", {"type": "integer", "minimum": 0}),
                _q("startTime", {"type": "integer"}), _q("stopTime", {"type": "integer"}),
                _q("timePivot", {"type": "string", "enum": [
                    "insertedAt", "firstConvertedAt", "lastConvertedAt", "lastModifiedAt",
                    "closedAt"]}),
                _q("excludeConversionEvents", boolean), _q("optOut", boolean),
                _q("emailOptOut", boolean), _q("eligibleForEmail", boolean),
                _q("bounced", boolean), _q("isNotImported", boolean),
                _q("includeDeleted", boolean),
                {**_q("guids", {"type": "array", "items": {"type": "string"}}),
                 "style": "form", "explode": True},
            ],
            "responses": {"200": leads, "400": errors["400"], "401": errors["401"],
                          "413": _v1_error("More than 100 guids")}}},
        "/leads/v1/callback-url": {
            "get": {"operationId": "v1-get-callback-url", "tags": ["Leads v1"],
                    "summary": "The URL new leads are posted to",
                    "responses": {"200": {"description": "The URL",
                                          "content": _json("V1CallbackUrl")},
                                  "401": errors["401"],
                                  "404": _v1_error("No URL registered")}},
            "post": {"operationId": "v1-set-callback-url", "tags": ["Leads v1"],
                     "summary": "Register the URL new leads are posted to",
                     "parameters": [_q("url", {"type": "string"}, "http(s) URL")],
                     "requestBody": {"required": False, "content": {"application/json": {
                         "schema": {"type": "object",
                                    "properties": {"url": {"type": "string"}}}}}},
                     "responses": {"200": {"description": "Registered",
                                           "content": _json("V1CallbackUrl")},
                                   "400": errors["400"], "401": errors["401"]}},
            "delete": {"operationId": "v1-delete-callback-url", "tags": ["Leads v1"],
                       "summary": "Stop posting new leads",
                       "responses": {"204": {"description": "Removed"},
                                     "401": errors["401"]}},
        },
        "/": {"post": {
            "operationId": "form-insert", "tags": ["Form insert"],
            "summary": "Insert a lead from a form post (leaddirector)",
            "security": [],
            "parameters": [
                {**_q("app", {"type": "string", "enum": ["leaddirector"]}), "required": True},
                {**_q("FormName", {"type": "string", "minLength": 1}), "required": True},
                _q("portalId", {"type": "integer"}, "when no host name is configured"),
            ],
            "requestBody": {"required": True, "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"$ref": "#/components/schemas/FormPost"}}}},
            "responses": {
                "200": {"description": "Stored durably; the answer names its submissionGuid",
                        "content": {"text/plain": {"schema": {"type": "string"}}}},
                **{code: {"description": why, "content": {"text/plain": text["content"][
                    "text/plain"]}} for code, why in (
                    ("400", "Invalid fields"), ("404", "Unknown app or form"),
                    ("413", "Body too large"), ("415", "Not a form body"))},
            }}},
    }


def build() -> dict[str, Any]:
    """The whole document."""
    route_list = routes()
    paths: dict[str, Any] = {}
    components: dict[str, dict[str, Any]] = {}
    for name, prefix in SPECS.items():
        spec = json.loads((SPEC_DIR / name).read_text())
        for kind, items in spec.get("components", {}).items():
            if kind == "securitySchemes":
                continue
            for cname, value in items.items():
                components.setdefault(kind, {})[prefix + cname] = _prefix_refs(value, prefix)
        for path, item in spec["paths"].items():
            ops = {m: _own_operation(op, prefix) for m, op in item.items()
                   if m in METHODS and served(route_list, m, path)}
            if not ops:
                continue
            shared = [p for p in item.get("parameters", [])]
            paths[path] = {**({"parameters": shared} if shared else {}), **ops}
    for path in list(paths):
        for old, new in ALIASES.items():
            if path.startswith(old):
                alias = copy.deepcopy(paths[path])
                for method in METHODS:
                    if method in alias:
                        alias[method]["operationId"] += "-alias"
                        alias[method]["description"] = (
                            f"The same operation as `{method.upper()} {path}`.")
                paths[new + path[len(old):]] = alias
    _objects_answer_like_leads(paths)
    _subcategory_is_text(components)
    _add_links(paths)
    paths.update(v1_paths())
    components.setdefault("schemas", {}).update(v1_components())
    components["securitySchemes"] = SECURITY_SCHEMES
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "leadhub",
            "version": __version__,
            "description": (
                "HubSpot's Leads APIs served by leadhub: the legacy v1 Leads API, the "
                "form-post insert and the CRM v3/v4 objects, properties and associations "
                "APIs. The CRM part is assembled from HubSpot's published OpenAPI files "
                "(component names carry the file's prefix) for the operations leadhub "
                "implements; v3 errors use HubSpot's error body, v1 errors "
                "`{status, message, correlationId, category}`."),
        },
        "security": SECURITY,
        "paths": dict(sorted(paths.items())),
        "components": {k: dict(sorted(v.items())) for k, v in sorted(components.items())},
    }


def render() -> str:
    return json.dumps(build(), indent=1, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    fresh = render()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text() != fresh:
            print(f"{OUT} is stale: run python scripts/openapi.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(fresh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
