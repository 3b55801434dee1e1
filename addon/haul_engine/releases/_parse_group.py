"""Release groups: leading anime subgroups, known multi-word groups and `-GROUP` suffixes."""

from __future__ import annotations

import re
from typing import Final

from haul_engine.releases import _parse_quality as q
from haul_engine.releases import _parse_structure as s

_I = re.IGNORECASE

# Groups whose names hold separators or that sign without a dash (facts about the scene).
KNOWN_GROUPS: Final = re.compile(
    r"(?:^|[-_. \[(])(?P<group>E\.N\.D|BEN[. ]THE[. ]MEN|D[- ]Z0N3|Fight-BB|-ZR-|[A-Za-z]+ HDTeam"
    r"|YTS\.(?:MX|LT|AG|AM)|YIFY|YTS|QxR|TAoE|UTR|KRaLiMaRKo|BluDragon|KCRT|HQMUX|NTb|Goki)"
    r"[)\]]{0,2}\s*$",
)
# Suffix forms, tried in order on a name that ends with the group.
DASH_GROUP: Final = re.compile(
    r"(?:(?<=[a-z0-9\])])-|\s-\s?|\s?-\s"
    r"|\.-\.?)(?P<group>[^\W_][\w&@]{0,30}(?:-[^\W_][\w&@]{0,30})?)[)\]]?\s*$",
    _I,
)
# "… x264 - GRP - Uploader": the name before a second spaced dash signs the encode.
SPACED_DASH_NAME: Final = re.compile(r"\s-\s(?P<group>[^\W_][\w&@]{0,30})\s*$")
# "Show - S01E02-GRP": a name glued to the episode marker ends the name, as in Sonarr.
EPISODE_BEFORE_DASH: Final = re.compile(r"(?<![a-z0-9])s[0-9]{1,4}(?:e[0-9]{1,4})+$", _I)
GLUED_NAME: Final = re.compile(r"[^\W\d_][^\W_]{1,30}")
SOFTSUBS: Final = re.compile(r"^softsubs \((?P<group>[^()]+)\)$", _I)
TRAILING_BRACKET: Final = re.compile(r"\[(?P<group>[^\[\]]{2,30})\]\s*$")
# An uploader's or indexer's tag right after a complete `-GROUP` or `by Name`: "x264-GRP[site]".
TAG_AFTER_GROUP: Final = re.compile(r"(?<=\w)\s?\[[^\[\]]{1,30}\]\s*$")
# Brackets that name no one: a CRC, a date or a number ("[2011-09-19]", "(dae8173e)").
NAMELESS_BRACKETS: Final = re.compile(
    r"(?:[-_. ]*(?:\([0-9a-f]{8}\)|\[[^\[\]a-z]{1,20}\]))+[-_. ]*$", _I
)
# Quality in parentheses after a bracket: "Title [Group] (1080p)".
QUALITY_AFTER_BRACKET: Final = re.compile(r"(?<=\])\s*\((?P<tags>[^()]{1,40})\)\s*$")
# Dub and subtitle words after the group: "x264-Belex.-.Dual.Audio.-.Dublado".
TRAILING_LANGUAGE: Final = re.compile(
    r"(?<=[a-z0-9])(?:[ ._+-]+(?:english|french|german|ita|spa|dual|audio|dublado|legendado"
    r"|legendas))+$",
    _I,
)
TRAILING_PARENTHETICAL: Final = re.compile(r"\s+\([^()]*\)\s*$")
LAST_PARENTHESIS: Final = re.compile(r"\((?P<block>[^()]*)\)\s*$")
# Tokens that look like a group but are quality, tags or numbering.
NOT_A_GROUP: Final = re.compile(
    r"^(?:[0-9]{3,4}[pi]|[xh]\.?26[45]|hevc|avc|xvid|divx|web|web-?dl|dl|hd|sd|hdtv|pdtv|dvdrip"
    r"|bluray"
    r"|blu-ray|brrip|bdrip|webrip|remux|aac|ac3|dts|dd|ddp|eac3|truehd|atmos|flac|mp3|opus|hdr"
    r"|hdr10|dv"
    r"|sdr|10bit|8bit|dual|audio|multi|subs?|proper|repack|internal|[0-9]{1,2}|v[0-9]|s[0-9]{1,2}"
    r"|s[0-9]{1,2}e[0-9]{1,3}|e[0-9]{1,3}|[0-9]+x[0-9]+|ws|ts|cam|mkv|mp4|avi"
    r"|hd(?:tv)?[-. ]?[0-9]{3,4}p"
    r"|[a-f0-9]{8}|ma|es|x|complete|batch|season|english|eng|german|french|softsubs|raw|nf|amzn|uhd"
    r"|dub|dubbed|sub|subbed|rip|lossless|log|cue|cd|[0-9]cd|vbr|cbr|mkv|m4a|kbps|[0-9]{4}|sdtv"
    r"|hdtv|tv|[a-z]|truefrench|vff|vostfr|ita|italian|spanish|nordic|swedish|hindi|big5|gbk?"
    r"|ch[st]|[em]subs?|[0-9]+(?:\.[0-9]+)?[mg]b)$",
    _I,
)
# "Show.S01E02.HDTV.XviD.Etc-Group": a dotted word before the dash belongs to the group.
# (A word in capitals, `INT-GRP`, `HUN-GRP`, is a tag; `Etc-Group`, `Hive-CM8` are names.)
DOTTED_PREFIX: Final = re.compile(
    r"(?<=[._])(?P<prefix>(?![A-Z0-9&]+-)[A-Za-z][A-Za-z0-9&]{1,30})$"
)
TAG_WORDS: Final = frozenset({"preair", "esub", "esubs", "hebsubs", "vision", "dolby", "proof"})
# "Show.S01E02.720p.WEB.DL.AAC2.0.H.264.KCRT", "DLMux by UBi": a group named after the tags,
# maybe with its site's domain ("AAC.Group.org": it signs with its address).
DOTTED_LAST: Final = re.compile(
    r"(?<=[a-z0-9])[._](?P<group>[a-z][a-z0-9]{1,19}(?:\.(?:org|com|net))?)$", _I
)
_SKIPPED_TAG: Final = re.compile(
    r"eng|ita|fre|ger|spa|rus|ukr|pol|cze|hun|jap|kor|chi|hindi|multi|dub|sub|audio|[0-9]ch|b&w"
    r"|dolby|atmos|[0-9]",
    _I,
)
_DOTTED_TAGS = 6
_TAG_SEPARATORS = re.compile(r"[._]")
SIGNED_BY: Final = re.compile(r"(?<![a-z])by (?P<group>[^\W_][\w&@]{1,30})$", _I)
# "by Name Crew" after the tags: the name that signs, then the crew it posts for.
SIGNED_BY_FOR: Final = re.compile(
    r"(?<![a-z])by (?P<group>[^\W_][\w&@]{1,30}) [^\W_][\w&@]{1,30}$", _I
)
# A crew names itself after the tags: "… Sub Ita NameCrew", "… - Name Crew" (a lone word that
# says it is a group, unlike Sonarr's refused "x264 monkee"; "Screw" says nothing).
SIGNED_CREW: Final = re.compile(
    r"(?:^|[\s._])(?:(?P<name>[^\W_][\w&@]{0,30}) [Cc](?i:rew)"
    r"|(?P<crew>[^\W_][\w&@]{0,30}C(?i:rew)))$"
)
QUALITY_HINT: Final = re.compile(
    r"(?<![a-z0-9])(?:[0-9]{3,4}[pi]|[xh][-_. ]?26[45]|hevc|avc|xvid|divx|web|web-?dl|webrip|hdtv"
    r"|pdtv|web-?dlrip|dvdivx"
    r"|dvd(?:rip|r)?|blu-?ray|bdrip|brrip|remux|aac|ac3|dts|ddp?|truehd|flac|mp3|dsr|2hd|mpeg2"
    r"|vc-?1|hdrip"
    r"|bdmux|webmux|bd|uhd|[0-9]{2,3}kbps|hdtvrip|[0-9]{3,4}x[0-9]{3,4}|dvb|hdts|hdcam|camrip"
    r"|telesync|l?pcm|xvid|vhsrip|dmrip)(?![a-z])",
    _I,
)


def release_group(text: str, leading_group: str | None) -> str | None:
    """Return the group that released `text` (junk suffixes and extension already removed)."""
    if leading_group:
        return leading_group
    text = NAMELESS_BRACKETS.sub("", TRAILING_LANGUAGE.sub("", text[-200:]))
    if (quality := QUALITY_AFTER_BRACKET.search(text)) and all(
        QUALITY_HINT.fullmatch(tag) for tag in quality.group("tags").split()
    ):
        text = text[: quality.start()]
    if group := _known_or_tagged_group(text):
        return group
    if TRAILING_BRACKET.search(text):
        return _bracketed_group(text)
    if group := _dash_group(text) or _dash_group(TRAILING_PARENTHETICAL.sub("", text)):
        return group
    if match := LAST_PARENTHESIS.search(text):  # "(1080p BluRay x265 Tigole)"
        return _signed_quality_block(match.group("block"))
    return _undashed_group(text)


def is_tag(word: str) -> bool:
    """Tell whether one word is a quality, language or packaging tag (`K`, `Q` are groups)."""
    tag = s.TITLE_END.fullmatch(word) or QUALITY_HINT.fullmatch(word) or NOT_A_GROUP.match(word)
    return len(word) > 1 and bool(tag)


def _known_or_tagged_group(text: str) -> str | None:
    """Return a known group signing the name, or the group before a site's tag (`-GRP[site]`)."""
    if (match := KNOWN_GROUPS.search(text)) and QUALITY_HINT.search(text, 0, match.start()):
        return match.group("group")
    if tag := TAG_AFTER_GROUP.search(text):  # the site or uploader only posted it
        before = text[: tag.start()]
        return _dash_group(before) or _signed(before)
    return None


def _signed(text: str) -> str | None:
    """Return the name of `by Name`, or of `by Name Crew` or a crew after quality tags."""
    if signed := SIGNED_BY.search(text):
        return signed.group("group")
    signed = SIGNED_BY_FOR.search(text)
    if signed and QUALITY_HINT.search(text, 0, signed.start()):
        return signed.group("group")
    crew = SIGNED_CREW.search(text)
    if crew and QUALITY_HINT.search(text, 0, crew.start()):
        return crew.group("name") or crew.group("crew")
    return None


def _undashed_group(text: str) -> str | None:
    """Return a group signed `by Name`, or ending a dotted name after its tags (`H.264.KCRT`)."""
    if signed := _signed(text):
        return signed
    match = DOTTED_LAST.search(text)
    if match is None:
        return None
    group = match.group("group")
    if NOT_A_GROUP.match(group) or QUALITY_HINT.fullmatch(group) or s.TITLE_END.fullmatch(group):
        return None
    # Languages and channel digits may come between: "Xvid.Eng.ETRG", "Dolby.2.0.KTM3".
    tags = _TAG_SEPARATORS.split(text[: match.start()])[-_DOTTED_TAGS:]
    if any(" " in tag for tag in tags[-3:]):
        return None  # "Show S01E02 x264 GRP": words after spaces are no dotted name
    while tags and _SKIPPED_TAG.fullmatch(tags[-1]):
        tags.pop()
    last = ".".join(tags[-2:])  # "H.264"
    hints = list(QUALITY_HINT.finditer(last, max(0, len(last) - 8)))
    # The last tag is quality, maybe with its channels glued on ("DD2.0", "AAC2.0").
    glued = last[hints[-1].end() :] if hints else "-"
    return group if not glued or glued.isdigit() else None


def _dash_group(text: str) -> str | None:
    """Return the `-GROUP` (or `-TWO-PART` group) ending a name when quality tags come before it."""
    match = DASH_GROUP.search(text)
    if match is None:
        return None
    first, _, second = match.group("group").partition("-")
    # ("1080-x264-Grp": a quality tag may be the first part.)
    before = text[: match.start("group") + len(first)] if second else text[: match.start()]
    if not QUALITY_HINT.search(before):
        glued = bool(second) or match.group(0).startswith("-")
        return _glued_to_marker(before, second or first) if glued else None
    if not second and (prefix := DOTTED_PREFIX.search(text, 0, match.start())):
        word = prefix.group("prefix")  # "XViD.Etc-Group"
        tag = word.lower() in TAG_WORDS or word.isupper() or s.TITLE_END.fullmatch(word)
        if not (tag or NOT_A_GROUP.match(word) or QUALITY_HINT.fullmatch(word)):
            return f"{word}-{first}"
    if not NOT_A_GROUP.match(first):
        return _signer_before(before, match) or match.group("group")
    return second if second and not NOT_A_GROUP.match(second) else None


def _glued_to_marker(before: str, name: str) -> str | None:
    """Return a name glued to the episode marker after a title (`Show - S01E02-GRP`)."""
    marker = EPISODE_BEFORE_DASH.search(before)
    if marker is None or not before[: marker.start()].strip(" -._"):
        return None  # "S01E02-Name" alone: the episode's title
    # Not a number nor an episode title of several words ("S01E02-3_Words").
    return name if GLUED_NAME.fullmatch(name) and not NOT_A_GROUP.match(name) else None


def _signer_before(before: str, match: re.Match[str]) -> str | None:
    """Return GRP of `… x264 - GRP - Uploader`: who signs the encode, not who posted it."""
    if "-" in match.group("group") or not match.group(0).startswith(" - "):
        return None
    signer = SPACED_DASH_NAME.search(before)
    if signer is None or not QUALITY_HINT.search(before, 0, signer.start()):
        return None
    word = signer.group("group")
    named = word.casefold() not in q.LANGUAGE_WORDS and word.casefold() not in q.EDITION_STRONG
    return word if named and not is_tag(word) else None  # not "- Tamil - GRP", "- Uncut -"


def _bracketed_group(text: str) -> str | None:
    """Return the last bracket that is not quality (`[BluRay] [1080p] [YIFY]`); None if all are.

    A last bracket of quality tags may end with the encoder's name: `[1080p x265 10bit Joy]`.
    """
    last = True
    while match := TRAILING_BRACKET.search(text):
        candidate = match.group("group").strip()
        if softsubs := SOFTSUBS.match(candidate):
            return softsubs.group("group")
        if not NOT_A_GROUP.match(candidate) and not QUALITY_HINT.search(candidate):
            return None if " " in candidate else candidate
        if last and (signed := _signed_quality_block(candidate)):
            return signed
        text, last = text[: match.start()].rstrip(" ._"), False
    return None


def _signed_quality_block(block: str) -> str | None:
    """Return the last word of a block of quality tags when it is a name, not a tag."""
    tags, _, word = block.rpartition(" ")
    if not tags or not QUALITY_HINT.search(tags) or not word[:1].isalpha():
        return None
    return None if NOT_A_GROUP.match(word) or QUALITY_HINT.fullmatch(word) else word
