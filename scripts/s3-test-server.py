"""A local S3-compatible server for zimbot's tests and benchmarks (moto's S3, in server mode).

Started by the tests themselves: binds 127.0.0.1 on a free port, creates one bucket whose objects anyone may
read (a public-read bucket policy, as a deployment's media bucket has, unless --private), prints one JSON line
{"endpoint", "region", "bucket", "access_key_id", "secret_access_key"} and serves until its standard input
closes (so it never outlives the test process that started it).

--auth      checks every signed request: an IAM user with full S3 rights is created and its key printed, and a
            wrong key or secret is refused with 403 as S3 does. Anonymous reads are not possible in this mode
            (moto needs an Authorization header once checks are on), so tests of public links run without it.
--private   leaves the bucket without its public-read policy, so anonymous reads are refused (403).
--fail-part N:TIMES[:STATUS]
            answers the first TIMES uploads of part N (or every one, with TIMES "always") with STATUS (500).
GET /_zimbot/requests      the requests seen since the server was ready, as [[method, path, query], ...]
GET /_zimbot/open-uploads  the multipart uploads not yet completed or aborted, as [[key, upload_id], ...]
"""

import argparse
import json
import os
import sys
import threading
from urllib.parse import parse_qs

REGION = "us-east-1"
BUCKET = "zimbot-media"


def parse_fault(text):
    parts = text.split(":")
    part, times = int(parts[0]), parts[1]
    status = int(parts[2]) if len(parts) > 2 else 500
    return {"part": part, "left": None if times == "always" else int(times), "status": status}


class Harness:
    """Wraps moto's WSGI app: records requests, injects part failures, answers the two inspection endpoints."""

    def __init__(self, app, faults, open_uploads):
        self.app = app
        self.faults = faults
        self.open_uploads = open_uploads
        self.requests = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        if path.startswith("/_zimbot/"):
            if path == "/_zimbot/requests":
                with self.lock:
                    answer = list(self.requests)
            elif path == "/_zimbot/open-uploads":
                answer = self.open_uploads()
            else:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"unknown inspection endpoint"]
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(answer).encode()]
        method = environ.get("REQUEST_METHOD", "")
        with self.lock:
            self.requests.append([method, path, query])
            fault = self.take_fault(method, query)
        if fault is not None:
            # Read the body first so the client sees an answer, not a reset connection.
            length = int(environ.get("CONTENT_LENGTH") or 0)
            stream = environ["wsgi.input"]
            while length > 0:
                chunk = stream.read(min(length, 1 << 20))
                if not chunk:
                    break
                length -= len(chunk)
            start_response(f"{fault} Injected Failure", [("Content-Type", "application/xml")])
            body = "<Error><Code>InternalError</Code><Message>injected failure</Message>"
            body += "<RequestId>injected</RequestId></Error>"
            return [body.encode()]
        return self.app(environ, start_response)

    def take_fault(self, method, query):
        if method != "PUT":
            return None
        fields = parse_qs(query)
        if "uploadId" not in fields or "partNumber" not in fields:
            return None
        number = int(fields["partNumber"][0])
        for fault in self.faults:
            if fault["part"] == number and (fault["left"] is None or fault["left"] > 0):
                if fault["left"] is not None:
                    fault["left"] -= 1
                return fault["status"]
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--auth", action="store_true")
    parser.add_argument("--private", action="store_true")
    parser.add_argument("--fail-part", action="append", default=[], type=parse_fault)
    arguments = parser.parse_args()

    # moto reads its settings at import; no credentials of the machine may leak in.
    os.environ["AWS_ACCESS_KEY_ID"] = "setup"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "setup"
    os.environ["AWS_DEFAULT_REGION"] = REGION
    import boto3
    from moto import settings
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from moto.s3.models import s3_backends
    from werkzeug.serving import make_server

    settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")

    def open_uploads():
        bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets.get(BUCKET)
        if bucket is None:
            return []
        return [[upload.key_name, upload.id] for upload in bucket.multiparts.values()]

    harness = Harness(DomainDispatcherApplication(create_backend_app), arguments.fail_part, open_uploads)
    server = make_server("127.0.0.1", 0, harness, threaded=True, request_handler=MotoRequestHandler)
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()

    session = boto3.session.Session(region_name=REGION)
    s3 = session.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket=BUCKET)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
        ],
    }
    if not arguments.private:
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    key_id, secret = "setup", "setup"
    if arguments.auth:
        iam = session.client("iam", endpoint_url=endpoint)
        iam.create_user(UserName="zimbot")
        everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="zimbot", PolicyName="s3", PolicyDocument=json.dumps(everything))
        key = iam.create_access_key(UserName="zimbot")["AccessKey"]
        key_id, secret = key["AccessKeyId"], key["SecretAccessKey"]
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0

    # Only the requests of the test count.
    with harness.lock:
        harness.requests.clear()
    print(
        json.dumps(
            {
                "endpoint": endpoint,
                "region": REGION,
                "bucket": BUCKET,
                "access_key_id": key_id,
                "secret_access_key": secret,
            }
        ),
        flush=True,
    )
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
