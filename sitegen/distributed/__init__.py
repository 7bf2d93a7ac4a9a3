"""More than one machine: where a build's images are computed (SPEC section 10).

* ``executors``: the ``--executor`` choice; ``LocalExecutor`` computes in this process.
* ``ray_executor``: ``--executor ray``, Ray actors that each hold the models.
* ``shards``: ``--shard K/N`` and the Slurm / Kubernetes variables that stand for it.

Both ways call ``sitegen.pipeline.run.compute_image`` for an image's model work; the build's
driver (``sitegen.site.build``) keeps the caches and the pages.
"""
