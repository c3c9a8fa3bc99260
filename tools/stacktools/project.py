"""Where the project is, the one account, region and stack names of every local stack, and the local
cloud's default ports.

The tools work on the repository they ship in (``tools/`` sits beside ``template.yaml``).
"""

from __future__ import annotations

from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPOSITORY_ROOT / "template.yaml"
WEB_TEMPLATE_PATH = REPOSITORY_ROOT / "web" / "template.yaml"
"""The web app's hosting (S3 and CloudFront), deployed beside the application's stack."""

ACCOUNT_ID = "123456789012"
"""The account id AWS's own documentation uses for examples: never a real account."""
REGION = "eu-west-1"
LOCAL_STACK_NAME = "airline-local"
"""The stack the local cloud deploys (``make demo``, ``make local``, the end-to-end tests)."""
TEST_STACK_NAME = "airline-test"
"""The stack the component and state-machine tests deploy into an in-process moto."""

AWS_ENDPOINT_PORT = 4566
"""``make local``'s AWS endpoint (the port other local AWS emulators use too)."""
WEB_APP_PORT = 4580
"""``make local``'s customer web app."""
BOUNDARY_MAP_PORT = 4581
"""``make local``'s boundary map."""
