"""sitegen: explain a CLIP-guided SAM 2 segmentation pipeline as a static website.

Data flows one way: images + vocabulary -> ``sitegen.pipeline`` (pure stages returning the
records of ``sitegen.records``) -> ``sitegen.figures`` (pure functions of those records) ->
``sitegen.site`` (pages rendered from a manifest). ``sitegen.models`` is the only package
that imports torch.
"""

__version__ = "0.1.0"
