"""The baseline for bench/ingest.py: a bare Flask endpoint that parses the same body and
answers 201, with none of Errata's checks. Served by gunicorn exactly like the real app."""

import json

from flask import Flask, Response, request

app = Flask(__name__)


@app.post("/api/v1/reports")
def reports() -> Response:
    body = json.loads(request.get_data())
    return Response(json.dumps({"id": 1, "status": "new", "n": len(body)}), status=201,
                    mimetype="application/json")
