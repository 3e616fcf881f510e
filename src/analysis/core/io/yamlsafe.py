"""YAML without aliases or anchors, and with a size limit."""

from __future__ import annotations

MAX_YAML_BYTES = 1 << 20  # a sidecar or ledger YAML over 1 MiB is refused


class YAMLAliasError(ValueError):
    """A YAML document uses anchors/aliases (refused: an alias bomb expands to gigabytes)."""


def safe_yaml_load(text: str, source: str = "<yaml>"):
    """``yaml.safe_load`` that refuses anchors and aliases (``&a`` / ``*a``) and documents over 1 MiB, so a
    crafted file cannot expand to gigabytes. Raises ValueError with a Chinese message naming ``source``."""
    import yaml

    if len(text) > MAX_YAML_BYTES:
        raise ValueError(f"{source}：YAML 文件超过 {MAX_YAML_BYTES // 1024} KiB 上限，未读取")

    class _NoAliasLoader(yaml.SafeLoader):
        # dates stay text (a date like 2024-02-30 is then reported by the schema check, not raised by the parser)
        yaml_implicit_resolvers = {
            k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
            for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                ev = self.peek_event()
                raise YAMLAliasError(
                    f"{source}：第 {ev.start_mark.line + 1} 行使用了 YAML 别名（*{ev.anchor}），为防止别名炸弹不予读取"
                )
            ev = self.peek_event()
            if getattr(ev, "anchor", None):
                raise YAMLAliasError(
                    f"{source}：第 {ev.start_mark.line + 1} 行使用了 YAML 锚点（&{ev.anchor}），为防止别名炸弹不予读取"
                )
            return super().compose_node(parent, index)

    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except YAMLAliasError:
        raise
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise ValueError(f"{source}：不是有效的 YAML：{exc}") from exc
