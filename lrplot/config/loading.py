"""Reading a config: a file or text → translated → overridden → a validated :class:`Config`."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING

from lrplot.config.bounds import count_values
from lrplot.config.curves import expand_curves, settle_labels
from lrplot.config.file_changes import split_changes, translated
from lrplot.config.locate import locate, problems_located
from lrplot.config.models import Config, ConfigFile
from lrplot.config.options import LoadKeywords, LoadOptions, resolve_load_options
from lrplot.config.validation import check_strings, check_text, kind_of, validate_model
from lrplot.errors import LrplotError
from lrplot.formats.base import FormatOptions
from lrplot.limits import lifting
from lrplot.overrides import (
    Origins,
    add_sweep,
    apply_sets,
    parse_assignment,
    parse_sweep_option,
    reference_assignment,
)
from lrplot.read.yaml_source import TagRefused, YamlSource, load_yaml_file, parse_yaml

if TYPE_CHECKING:
    from typing_extensions import Unpack


def load(path: str | Path, *, options: LoadOptions | None = None, **keywords: Unpack[LoadKeywords]) -> Config:
    """Read, parse and validate a config file.

    How to read it is one :class:`LoadOptions`, given as ``options=`` or as its fields
    (``lrplot.load(path, sets=["total_step=500"], force=True)``), not both: ``sets`` are
    ``KEY=VALUE`` overrides and ``sweeps`` ``KEY=V1,V2`` sweeps, as on the command line;
    ``allow_imports`` also allows OmegaConf resolvers (a Hydra config's ``${oc.env:...}``)
    and ``hydra_overrides`` are Hydra's own overrides for composing one.
    Raises :class:`LrplotError` with ``file:line`` for anything wrong.
    """
    options = resolve_load_options(options, keywords, "load")
    path = Path(path)
    suffix = path.suffix.lower()
    # Each reader is imported only for its own files: a YAML plot loads none of the others.
    if suffix == ".py":  # OpenMMLab and nanoGPT configs: read as data, never run
        from lrplot.read.python import read_python

        source: YamlSource = read_python(path)
    elif suffix == ".toml":
        from lrplot.read.toml_source import load_toml_file

        source = load_toml_file(path)
    elif suffix == ".json":
        from lrplot.read.json_source import load_config_file

        source = load_config_file(path)
    elif suffix in (".sh", ".bash"):  # launch scripts (Megatron-LM): read as data, never run
        from lrplot.read.shell import load_shell_file

        source = load_shell_file(path)
    else:
        source = _load_yaml(path)
    return from_source(source, options)


def _load_yaml(path: Path) -> YamlSource:
    """The YAML file; one with ``!!python/...`` tags only where detectron2's format claims it.

    detectron2's base configs carry such tags on model keys; their nodes are kept unbuilt
    (:class:`~lrplot.read.yaml_source.Opaque`) and the format refuses any it would need.
    """
    try:
        return load_yaml_file(path)
    except TagRefused:
        tolerant = load_yaml_file(path, opaque_tags=True)
        from lrplot.formats import format_module

        if format_module("lrplot.formats.detectron2").identify(path, tolerant.data).confident:
            return tolerant
        raise


def loads(
    text: str,
    *,
    name: str = "<config>",
    base_dir: Path | None = None,
    options: LoadOptions | None = None,
    **keywords: Unpack[LoadKeywords],
) -> Config:
    """Validate a config given as YAML text, or JSON when ``name`` ends in .json (tests, notebooks).

    Takes the options of :func:`load` but ``hydra_overrides``: Hydra composes a config from
    the files of its config folder on disk (the primary config and its defaults list), so
    the text given here would not be what it composed.
    """
    options = resolve_load_options(options, keywords, "loads")
    if options.hydra_overrides:
        raise TypeError("loads() cannot compose a Hydra config (Hydra reads it from disk): use load(path)")
    if name.lower().endswith(".json"):
        from lrplot.read.json_source import parse_json

        source = parse_json(text, name=name)
    else:
        source = parse_yaml(text, name=name)
    if base_dir is not None:
        source.path = base_dir / name
    return from_source(source, options)


def from_source(
    source: YamlSource, options: LoadOptions | None = None, **keywords: Unpack[LoadKeywords]
) -> Config:
    """Validate parsed YAML data (after overrides); every error names its key and line.

    A LightningCLI or Hydra training config is converted to lrplot's form first
    (:mod:`lrplot.formats`); ``select`` picks a subtree of a larger file. ``force`` lifts the
    liftable bounds (:mod:`lrplot.limits`).
    """
    options = resolve_load_options(options, keywords, "from_source")
    with lifting(options.force):
        return _from_source(source, options)


def _from_source(source: YamlSource, options: LoadOptions) -> Config:
    origins = Origins()
    notes: list[str] = []
    derived: dict[str, object] = {}
    reads: list[Path] = []
    form, file_keys = "lrplot", {}
    try:
        if not isinstance(source.data, dict):
            raise LrplotError(
                f"the config must be a mapping with a 'curves' list, got {kind_of(source.data)}", key_path=()
            )
        made: list[FormatOptions] = []

        def fresh() -> FormatOptions:
            made.append(options.format_options(source.path))
            return made[-1]

        changes = split_changes(
            source.data, options.sets, options.sweeps, options.format_options(source.path)
        )
        for change in (*changes.file_sets, *(values[0] for values in changes.file_sweeps)):
            origins.add(change.parts, change.shown)  # a translation error on that key names the option
        converted = translated(source.data, changes, fresh)
        if options.hydra_overrides and converted.form != "Hydra":
            raise LrplotError(f"--hydra-override applies to Hydra configs; this is a {converted.form} config")
        derived, reads = converted.derived, converted.reads
        form, file_keys = converted.form, dict(converted.file_keys)
        if converted.source is not None:  # the format read more files (OpenMMLab _base_)
            source = converted.source
        data = copy.deepcopy(converted.data)
        base = converted.origins.pop((), None)
        if base:  # a native config below --select: its keys sit under that prefix
            source = source.below(base)
        for native, original in converted.origins.items():
            origins.add(native, original)
        notes = [f"{converted.form} config: {note}" for note in converted.notes]
        if len(options.references) > 1:
            raise LrplotError(
                f"--reference is given {len(options.references)} times; a curve is compared with one log "
                "(one per curve: reference: in the config, or --set curves.N.reference=PATH from the "
                "config's folder)"
            )
        used = set().union(*(made_options.used_sets for made_options in made))
        sets = [text for text in changes.own_sets if text not in used]
        assignments = [*map(reference_assignment, options.references), *map(parse_assignment, sets)]
        apply_sets(data, assignments, origins)
        if converted.interval_note and data.get("interval") == converted.data.get("interval"):
            notes.append(f"{converted.form} config: {converted.interval_note}")
        # lint check LR011 says so when no --set gave the metric
        assumed_metric = converted.assumed_metric and data["curves"][0].get("metric") == "lr"
        for text in changes.own_sweeps:
            add_sweep(data, parse_sweep_option(text), origins)
        check_strings(data)
        top = validate_model(ConfigFile, data, ())
        if top.title is not None:
            check_text(top.title, "title", ("title",))
        top.plot.check_pixels()
        with problems_located(source, origins):
            curves = expand_curves(top, origins)
        settle_labels(curves)
        for curve in curves:
            curve.metric_assumed = assumed_metric and curve.index == 0
        count_values(curves)
    except LrplotError as error:
        if error.where is None and error.key_path is not None:
            error.where = locate(source, origins, error.key_path)
        raise
    return Config(
        title=top.title, curves=curves, plot=top.plot, source=source, origins=origins, notes=notes,
        derived=derived, reads=list(reads), form=form, file_keys=file_keys,
    )  # fmt: skip
