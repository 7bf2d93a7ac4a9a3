"""``python -c 'from tests.distributed.shard_child import main; main()' IMAGES OUT CACHE K/N``.

One shard of a build with the fake models, in its own process (as a Slurm array task or a
Kubernetes pod would run it); its report goes to stdout as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sitegen.distributed.shards import parse_shard
from sitegen.site.build import build_site
from tests.site.fake_models import MODELS, OPTIONS, VOCABULARY, FakeModels


def main() -> None:
    images, out, cache = (Path(arg) for arg in sys.argv[1:4])
    models = FakeModels(MODELS)
    report = build_site(
        images, VOCABULARY, OPTIONS, MODELS, out, cache_dir=cache, quiet=True, lazy_models=models, shard=parse_shard(sys.argv[4])
    )
    print(json.dumps({"images": report.images, "built": report.built, "failed": len(report.failed), **models.counters()}))
