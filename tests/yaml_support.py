"""YAML text for the loader tests: a "billion laughs" document."""

from __future__ import annotations


def billion_laughs(levels: int = 9, key: str = "description", head: str = "") -> str:
    """``head``, then ``levels`` nested aliases, each listing the previous one 10 times, and
    ``key`` set to the last: ``10**levels`` 'lol's once expanded, from under 1 kB."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return head + "\n".join(lines) + f"\n{key}: *l{levels - 1}\n"
