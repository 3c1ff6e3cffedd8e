"""The OpenAPI 3.1 document of the public API, derived from the declared request schema.

`python -m portal_domain.openapi > api/openapi.json` writes it; a test checks the committed
file equals this output and that every route of the app is described (and no other).
"""

from __future__ import annotations

import json
from typing import Any

from portal_contracts import messages as schema

from .receipts import ALPHABET


def _field(rule: Any) -> dict[str, Any]:
    if isinstance(rule, schema.Choice):
        return {"type": "string", "enum": list(rule.choices)}
    if isinstance(rule, schema.Flag):
        return {"type": "boolean"}
    if isinstance(rule, schema.Integer):
        return {"type": "integer", "minimum": rule.min, "maximum": rule.max}
    out: dict[str, Any] = {"type": "string", "minLength": rule.min, "maxLength": rule.max}
    if rule.pattern:
        out["pattern"] = f"^{rule.pattern}$"
    return out


def _object(spec: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    props = {name: _field(rule) for name, rule in spec.items()}
    props.update(extra or {})
    required = [n for n, r in spec.items()
                if isinstance(r, schema.Choice | schema.Integer) or getattr(r, "required", False)]
    return {"type": "object", "properties": props, "required": required,
            "additionalProperties": False}


def _error(description: str, retry: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if retry:
        out["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                          "description": "Seconds to wait before retrying."}}
    return out


RECEIPT = {"name": "receipt", "in": "path", "required": True,
           "description": "The receipt code, e.g. K7M4-QX9P (case and hyphen optional).",
           "schema": {"type": "string", "minLength": 8, "maxLength": 12}}


def document() -> dict[str, Any]:
    suggestion = _object(schema.SUGGESTION, {"contact": _object(schema.CONTACT)})
    suggestion["properties"]["website"]["description"] = "Honeypot: must be empty."
    suggestion["example"] = {
        "kind": "suggestion", "category": "greening", "subject": "中心花园多种些桂花",
        "body": "希望在中心花园多种些桂花树，秋天很香。", "building": "5栋",
        "contact": {"phone": "138 0000 0000"}}
    common = {"400": _error("Invalid request: the body names the field."),
              "413": _error("Body larger than 16 KB."),
              "415": _error("Body is not application/json."),
              "429": _error("Too many submissions from this client.", retry=True),
              "503": _error("Database busy or unreachable; nothing stored.", retry=True)}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Community portal: owners' messages", "version": "1.0.0",
                 "description": "Public API for complaints, suggestions, praise and service "
                                "requests. Staff work through the portal-cases CLI, not this API."},
        "paths": {
            "/suggestions": {"post": {
                "operationId": "submitSuggestion",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "description": "Same key, same message: the original receipt "
                                               "is returned and nothing is stored twice.",
                                "schema": {"type": "string", "minLength": 8, "maxLength": 128}}],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": suggestion}}},
                "responses": {
                    "201": {"description": "Stored.", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Receipt"}}}},
                    "200": {"description": "A retry of a stored message: the original receipt.",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/Receipt"}}}},
                    "422": _error("Idempotency-Key reused for a different message."),
                    **common}}},
            "/suggestions/{receipt}": {"get": {
                "operationId": "followSuggestion", "parameters": [RECEIPT],
                "responses": {
                    "200": {"description": "The public view of the case.", "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Case"}}}},
                    "400": _error("Not a receipt code."), "404": _error("No such case."),
                    "429": _error("Too many unknown codes from this client.", retry=True),
                    "503": common["503"]}}},
            "/suggestions/{receipt}/feedback": {"post": {
                "operationId": "rateSuggestion", "parameters": [RECEIPT],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {**_object(schema.FEEDBACK), "example": {"rating": 5}}}}},
                "responses": {
                    "200": {"description": "Rated.", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Case"}}}},
                    "404": _error("No such case."),
                    "409": _error("Not resolved yet, or already rated."),
                    **common}}},
            "/surveys/{survey_id}/responses": {"post": {
                "operationId": "answerSurvey",
                "parameters": [
                    {"name": "survey_id", "in": "path", "required": True,
                     "schema": {"type": "string", "minLength": 3, "maxLength": 41}},
                    {"name": "Idempotency-Key", "in": "header", "required": False,
                     "description": "Same key, same answers: stored once.",
                     "schema": {"type": "string", "minLength": 8, "maxLength": 128}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False, "required": ["answers"],
                    "properties": {
                        "answers": {"type": "object", "description": "Question id → answer, "
                                    "as the survey definition (content/surveys/) declares."},
                        "code": {"type": "string", "description": "The household's one-time "
                                 "code, for surveys with access: codes."},
                        "website": {"type": "string", "description": "Honeypot: must be empty."}},
                    "example": {"answers": {}, "code": "K7M4-QX9P"}}}}},
                "responses": {
                    "201": {"description": "Recorded."},
                    "200": {"description": "A retry of recorded answers."},
                    "403": _error("The survey is not open yet."),
                    "404": _error("No such survey."),
                    "409": _error("This household code has been used."),
                    "410": _error("The survey has closed."),
                    "422": _error("Idempotency-Key reused for different answers."),
                    **common}}},
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string"}, "message": {"type": "string"},
                "field": {"type": "string"}}},
            "Receipt": {"type": "object", "required": [
                "receipt", "status", "respond_within_hours", "respond_by", "created_at"],
                "properties": {
                    "receipt": {"type": "string", "pattern": f"^[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$"},
                    "status": {"type": "string", "enum": list(schema.STATUSES)},
                    "respond_within_hours": {"type": "integer"},
                    "respond_by": {"type": "string", "format": "date-time"},
                    "created_at": {"type": "string", "format": "date-time"}}},
            "Case": {"type": "object", "additionalProperties": False, "required": [
                "receipt", "kind", "category", "created_at", "respond_by", "status", "reply",
                "timeline", "can_rate", "rating"],
                "properties": {
                    "receipt": {"type": "string"},
                    "kind": {"type": "string", "enum": list(schema.KINDS)},
                    "category": {"type": "string", "enum": list(schema.CATEGORIES)},
                    "created_at": {"type": "string", "format": "date-time"},
                    "respond_by": {"type": "string", "format": "date-time"},
                    "status": {"type": "string", "enum": list(schema.STATUSES)},
                    "reply": {"type": "string"},
                    "timeline": {"type": "array", "items": {
                        "type": "object", "required": ["at", "status", "note"], "properties": {
                            "at": {"type": "string", "format": "date-time"},
                            "status": {"type": "string", "enum": list(schema.STATUSES)},
                            "note": {"type": "string"}}}},
                    "can_rate": {"type": "boolean"},
                    "rating": {"type": ["integer", "null"], "minimum": 1, "maximum": 5}}},
        }},
    }


if __name__ == "__main__":
    print(json.dumps(document(), ensure_ascii=False, indent=2))
