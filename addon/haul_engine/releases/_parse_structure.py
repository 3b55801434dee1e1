"""Episode, season, date, year and title-boundary patterns of a release name (precompiled)."""

from __future__ import annotations

import re
from typing import Final

_I = re.IGNORECASE

EXTENSION: Final = re.compile(
    r"\.(?P<ext>mkv|mk3d|mp4|m4v|avi|wmv|mov|ts|m2ts|webm|mpg|mpeg|divx|xvid|iso|img|vob|flv|ogm|rmvb|3gp"
    r"|flac|mp3|m4a|m4b|ogg|opus|wav|wma|ape|wv|aac|alac|dsf"
    r"|nzb|torrent|srt|sub|ass|ssa|idx|nfo|par2|rar|zip|7z|txt)$",
    _I,
)
SD_EXTENSIONS: Final = frozenset(
    {"avi", "wmv", "divx", "xvid", "mpg", "mpeg", "3gp", "flv", "ogm", "rmvb"}
)
HD_EXTENSIONS: Final = frozenset({"mkv", "mp4", "m4v"})
BLURAY_EXTENSIONS: Final = frozenset({"m2ts"})
AUDIO_EXTENSIONS: Final = frozenset(
    {"flac", "mp3", "m4a", "m4b", "ogg", "opus", "wav", "wma", "ape", "wv", "alac", "dsf"}
)
WEBSITE_PREFIX: Final = re.compile(
    r"^\s*(?:[\[({]\s*\.?)?(?:w{2,3}[., ][a-z0-9][-a-z0-9]{0,62}[., ][a-z]{2,6}"
    r"|[a-z0-9][-a-z0-9]{0,62}\.(?:"
    r"com|net|org|info|tv|me|to|cc|ws|se|ru|de|fr|nl|eu|xyz|club|biz|la|mx|ag|is|lt|it|io|cx|in|pw"
    r"|ch|co|uk|nz|au|ca|za|tc|be|pl|cz|hu|ro|gr|pt|es|dk|no|fi|at|us|site|online|top|win|pro|link"
    r"|live|vip|fun|one|world|cloud|ms|sx|su|lol|bz|ph|vc|nu))(?:\.(?:uk|nz|au|br|jp|kr|za|in))?"
    r"(?:\.?\s*[\])}]|\s+-\s+|\s{2,})[-_\s]*",
    _I,
)
TRAILING_JUNK: Final = re.compile(
    r"(?:[-_. ]{0,3}(?:"
    r"\[(?:eztv(?:\.re)?|rarbg(?:\.com)?|ettv|rartv|publichd|tgx|torrentgalaxy|vtv|eztvx\.to|ethd"
    r"|xpost|nzbgeek)\]"
    r"|-(?:rp|obfuscated|obfuscation|scrambled|nzbgeek|sample|postbot|xpost|rakuv[a-z0-9]*|whiterev"
    r"|buymore|asrequested|alternativetorequested|gerov|z0ids3n|chamele0n|4p|4planet|altezachen"
    r"|repackpost|pre|no[-_. ]rars|sanitized)|(?<=[a-z]{2})-[0-9])"
    r"|\[(?:rarbg|eztv)[^\]]*\]|[_. ](?:eztv|rarbg)(?:\.[a-z]{2,3})?"
    # Sites ("[tvu.org.ru]", ".par-www.site.com"), proofs and samples, a subtitle's language.
    r"|[-_. ]{0,3}\[(?:www\.)?[-a-z0-9]+(?:\.[-a-z0-9]+)*"
    r"\.(?:com|net|org|io|gov|info|tv|to|me|ru|co\.uk)\]"
    r"|\.par-www\.[-a-z0-9.]+|\.(?:proof|sample)|(?<=[a-z0-9]{2})\.(?:eng|hebsubs))+$",
    _I,
)
# A name written backwards by an obfuscating uploader ("yrucreM-462.H.p027.10E10S...").
REVERSED: Final = re.compile(
    r"(?<![a-z0-9])(?:p0(?:27|801|612)|[0-9]{2,3}E-?[0-9]{2}S)(?![a-z0-9])", _I
)
# File names that carry no information (hashes, backups) defer to their folder.
OPAQUE: Final = re.compile(r"^(?:[a-f0-9]{16,}|[a-z0-9]{8,}|[0-9_]+|[a-z]{1,4}|backup_.*)$", _I)
GROUP_AT_END: Final = re.compile(r"-[^-\s][^-]*$")
LEADING_GROUP: Final = re.compile(
    r"^\s*\[?(?:\[(?P<g1>[^\[\]]{1,60})\]|【(?P<g2>[^【】]{1,60})】)[-_. ]?"
)
# Chinese fansub names: "[Group][native/Latin title][2019][07][1080p]", with 【】 brackets too and
# any number of Han-only brackets ("[国漫][斗罗大陆]") before the Latin title.
CHINESE_ANIME: Final = re.compile(
    r"^[\[【][^\]】]+[\]】](?:\s?★[^\[ -]+★?\s?)?(?:[\[【][^\]】a-z]*[\]】])*"
    r"[\[【](?:(?P<native>[^\]】]*?[\u3040-\u9fff][^\]】]*?)(?:[\]】][\[【]|[_/·]\s*))?"
    r"(?P<title>[^\]】]+?)\s*[\]】](?:\[[^\]]*[a-z][^\]]*\])?(?:\[(?:19|20)[0-9]{2}\])?"
    r"[\[【]第?(?P<episode>[0-9]{1,4}(?:-[0-9]{1,4})?)[话話集]?\s?(?:END|完|Fin)?[\]】]",
    _I,
)
# A name of brackets with nothing but numbering and separators between them, and its parts:
# "[Group][Title][07][1080p]", "[Title].148.[XviD]", "[Title 1998] [BDRemux]".
BRACKETS_ONLY: Final = re.compile(
    r"(?:[-_. ★]*(?:[\[【][^\[\]【】]{1,120}[\]】]|第?(?<![0-9])[0-9]{1,4}(?:v[0-9])?(?![0-9])))+"
    r"[-_. ★]*"
)
BRACKET_BLOCK: Final = re.compile(r"[\[【](?P<inner>[^\[\]【】]{1,120})[\]】]")
BLOCK_NUMBER: Final = re.compile(
    r"(?:(?<=[-_. \]】])|^)(?:[\[【]\s*)?第?(?P<number>[0-9]{1,4})(?:v[0-9])?"
    r"\s*(?:[\uff08(]?END[\uff09)]?|完|[话話集])?\s*(?:[\]】]|(?=[-_. \[【]|$))",
    _I,
)
# Scripts of native titles that precede a Latin one ("影宅 / Title", "Босх / Series").
NATIVE_SCRIPT: Final = re.compile(
    r"[\u0400-\u04ff\u0590-\u06ff\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]"
)
TITLE_ALTERNATIVES: Final = re.compile(r"\s*(?:/|\s\|\s)\s*")
# A native-script title ahead of the Latin one: "Босх: Спадок / Series", "我的人间烟火.Fireworks".
NATIVE_TITLE_PREFIX: Final = re.compile(
    r"^(?:[^/\[\]]*[\u0400-\u04ff][^/\[\]]*\s/\s"
    r"|(?:【[^】]{0,60}】)?[\u3040-\u30ff\u3400-\u9fff]+(?:\[[^\]]{0,40}\])*[.\s](?=[a-z])"
    # Arabic, Hebrew and Thai words before the Latin title: "تركي مترجم Last.Call.2023".
    r"|[\u0590-\u06ff\u0e00-\u0e7f][\u0590-\u06ff\u0e00-\u0e7f ]{0,80}\s(?=[a-z]))",
    _I,
)
# Japanese variety recordings start with their air date: "221208 Title ep11".
LEADING_SHORT_DATE: Final = re.compile(
    r"^[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])\s+(?=\S)"
)
# Numbering markers (see `_parse_numbering`): the title is what precedes the marker found.
SEASON_EPISODE: Final = re.compile(
    r"(?<![a-z0-9])(?:S|T(?=[0-9]{1,2}X?E[0-9]))(?P<season>[0-9]{1,4})"
    r"(?:[-_. ]{0,3}EP?|[-_. ]E[-_. ]?|xE?)[-_. ]?\(?"
    r"(?P<episode>[0-9]{1,5})"
    # More episodes: "E03", "-03", "-E03", " - S01E03", "+03", "x03" ("-3" only before "." or ")").
    # ("- Ep.129" after an episode is an absolute number, not the end of a range).
    r"(?P<more>(?:(?:[-_. ]{1,3}S[0-9]{1,4}[-_. ]?E|[-_. ]{0,3}EP?(?=[0-9])|[-_.]?EP[-_. ]|[-_. ]?x"
    r"|[-+&](?:E|x|(?=[0-9]{2})|(?=[0-9](?:[.)\]]|$))))[0-9]{1,5}(?![0-9]|(?![ex])[a-z]))*)"
    r"(?![0-9])",
    _I,
)
# Season and episode in other shapes: "[S2-07]", "(S4-24)", "[5.01]", " - 6.01 - ", "Episode 1.22".
SEASON_EPISODE_OTHER: Final = re.compile(
    r"[\[(]S(?P<season>[1-9])-(?P<episode>[0-9]{2,3})[\])]"  # "[S01-07]" is seasons 1 to 7
    r"|\[(?P<season_dot>[0-9]{1,2})\.(?P<episode_dot>[0-9]{2,3})\]"
    r"|(?<= - )(?P<season_dashed>[0-9]{1,2})\.(?P<episode_dashed>[0-9]{2})(?= - )"
    r"|(?<![a-z])episode (?P<season_word>[0-9]{1,2})\.(?P<episode_word>[0-9]{2})(?![0-9])",
    _I,
)
SEASON_EPISODE_GLUED: Final = re.compile(
    r"(?<=[a-z])S(?P<season>[0-9]{2})E(?P<episode>[0-9]{2})(?P<more>(?:E[0-9]{2})*)(?![0-9])", _I
)
CROSS_EPISODE: Final = re.compile(
    r"(?:(?<![a-z0-9])(?<![^0-9][0-9]\.)(?P<season>[0-9]{1,2}|(?!1920|2048)(?:19|20)[0-9]{2})"
    r"(?:[x\u00d7\u0445\u0425]| [x\u00d7] (?=[0-9]{1,2}(?![0-9])))"
    r"|(?<=[a-z])(?P<glued>[0-9]{1,2})x(?=[0-9]{2}(?![0-9a-z]))"
    r"|(?<![a-z0-9])(?P<bare>[0-9]{2})E(?=[0-9]{2}(?![0-9a-z])))"
    r"(?P<episode>[0-9]{1,3})"
    r"(?P<more>(?:(?:[-_. ]{1,3}(?:[0-9]{1,4})?[x\u00d7\u0445]|[x\u00d7\u0445]|-)[0-9]{2,3}"
    r"(?![0-9]))*)(?![0-9pi])",
    _I,
)
MORE_EPISODES: Final = re.compile(r"(?:EP?|[-+&]E?|[x\u00d7\u0445])[-_. ]?([0-9]{1,5})", _I)
SPANISH_CHAPTER: Final = re.compile(
    r"\[Cap[-_. ]?\s?(?P<season>[0-9]{1,2}?)(?P<episode>[0-9]{2})"
    r"(?:[-_ ][0-9]{1,2}?(?P<last>[0-9]{2}))?\]",
    _I,
)
# Words for "season" and "episode" (English, Romance, Germanic, Slavic, Turkish, Hungarian...).
_SEASON_WORD = (
    r"(?:seasons?|saisons?|seizoen|stagion[ei]|temporadas?|temp|staffel|sezon[ua]?|sezona|sezóna"
    r"|säsong|sæson|sesong|kausi|évad|сезон[аыу]?|сезони)"
)
_EPISODE_WORD = (
    r"(?:episodes?|episodios?|episódios?|episodul|épisodes?|epis[oó]dio|folge|afl"
    r"|aflevering|cap[ií]tulo|cap|odcinek|jakso|avsnitt|afsnit|epizod[ea]?|rész|bölüm|bolum"
    r"|\u0441\u0435\u0440(?:и[яий]|\.)?|эпизод|епізод|серія|ser|seri(?:[ay]|ja|ya|i)|serya)"
)
# Words written after their number: "5 серия", "69. Bölüm", "5. rész", "08.seriya".
_EPISODE_WORD_AFTER = (
    r"(?:folge|afl|odcinek|jakso|avsnitt|afsnit|epizod[ea]?|rész|bölüm|bolum"
    r"|\u0441\u0435\u0440(?:и[яий]|\.)?|эпизод|епізод|серія|ser|seri(?:[ay]|ja|ya|i)|serya)"
)
# "Ep 23", "Ep.5" ("ep34" glued is a mini-series episode, read elsewhere).
_EPISODE_PREFIX = rf"(?:{_EPISODE_WORD}|ep[-_. ]|epi|eps)"
# After a number: "5th", "1ª", "3º", "4°", "5-й", "09-я", "2.".
_ORDINAL = r"(?:[- ]?(?:st|nd|rd|th)(?![a-z])|-?(?:й|я|ый)|ª|º|°|[ao]?\.)?"
_NUMBER_SEPARATOR = r"(?:[_. :]{0,3}|-)[(#№]?\s?"  # not " - ": "2nd Season - 01" is an episode
SEASON_WORD_EPISODE: Final = re.compile(
    rf"(?<![a-z0-9])(?:{_SEASON_WORD}{_NUMBER_SEPARATOR}(?P<season>[0-9]{{1,4}})"
    rf"|(?:sez|s)[-_. ]?(?P<season_short>[0-9]{{1,2}})"
    rf"|(?P<season_first>[0-9]{{1,2}}){_ORDINAL}[_. ]?(?:{_SEASON_WORD}|sez))"
    r"(?:[-_. ]{0,3}[,/|][-_. ]{0,3}|[-_. ]{1,3}(?:(?:of|de|del)[-_. ]{1,3})?)"
    rf"(?:(?:{_EPISODE_PREFIX}|ep|e|n)(?![a-z]){_NUMBER_SEPARATOR}(?P<episode>[0-9]{{1,4}})"
    rf"|(?P<episode_first>[0-9]{{1,4}}){_ORDINAL}[_. ]?{_EPISODE_WORD_AFTER}(?![a-z]))"
    r"(?:[-_. ]?(?:-|~|to|à|a)[-_. ]?(?P<last>[0-9]{1,4}))?(?![0-9])",
    _I,
)
# "Episode 4", "Ep.23", "Folge 5 von 12", "5 серия из 12", "Capitulo 5 de 12".
EPISODE_IN_WORDS: Final = re.compile(
    rf"(?<![a-z0-9])(?:{_EPISODE_PREFIX}{_NUMBER_SEPARATOR}(?P<episode>[0-9]{{1,4}})"
    rf"|(?P<episode_first>[0-9]{{1,4}}){_ORDINAL}[_. ]?{_EPISODE_WORD_AFTER}(?![a-z]))"
    r"(?:[-_. ]?(?:-|~|to)[-_. ]?(?P<last>[0-9]{1,4}))?"
    r"(?:[-_. ]{1,3}(?:of|de|von|van|din|iz|из|/)[-_. ]{1,3}[0-9]{1,4})?(?![0-9])",
    _I,
)
# "S2E1-16 of 16": every episode of the season, a season pack.
WHOLE_SEASON_RUN: Final = re.compile(
    r"S[0-9]{1,2}E0?1-(?P<last>[0-9]{1,3})[-_. ]of[-_. ](?P<total>[0-9]{1,3})(?![0-9])", _I
)
DAILY: Final = re.compile(
    r"(?<![0-9])(?:(?P<year>19[4-9][0-9]|20[0-9]{2})(?P<sep>[-_. ]{1,3})(?P<first>[0-9]{2})(?P=sep)"
    r"(?P<second>[0-9]{2})(?![0-9]|[-_. ][0-3][0-9](?![0-9]))"
    r"|(?P<first_dmy>[0-9]{2})(?P<sep_dmy>[-_. ])(?P<second_dmy>[0-9]{2})(?P=sep_dmy)"
    r"(?P<year_dmy>19[4-9][0-9]|20[0-9]{2})(?![0-9])"
    r"|(?:^|(?<=[-_. ]))(?P<year_compact>19[6-9][0-9]|20[0-9]{2})(?P<month_compact>0[1-9]|1[0-2])"
    r"(?P<day_compact>0[1-9]|[12][0-9]|3[01])(?=[-_. ]|$))",
)
DAILY_SIX_DIGITS: Final = re.compile(
    r"(?<=[-_. ])(?P<year>[0-9]{2})(?P<month>0[1-9]|1[0-2])(?P<day>0[1-9]|[12][0-9]|3[01])"
    r"(?=[-_. ]|$)"
)
DAILY_SHORT_MONTH: Final = re.compile(
    r"(?<![0-9])(?P<day>[0-3]?[0-9])(?:st|nd|rd|th)?[-_. ]"
    r"(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[-_. ]"
    r"(?P<year>19[4-9][0-9]|20[0-9]{2})(?![0-9])",
    _I,
)
KOREAN_DATED_EPISODE: Final = re.compile(
    r"(?<![a-z0-9])E(?P<episode>[0-9]{2,4})(?:-E(?P<last>[0-9]{2,4}))?[-_. ]"
    r"(?P<year>[0-9]{2})(?P<month>0[1-9]|1[0-2])(?P<day>0[1-9]|[12][0-9]|3[01])(?![0-9])",
    _I,
)
MULTI_SEASON: Final = re.compile(
    r"(?<![a-z0-9])(?:S|seasons?[-_. ]?)(?P<first>[0-9]{1,2})(?:-|[-_. ]{0,3}(?:-|to|&)?[-_. ]{0,3}"
    r"(?:S|season[-_. ]?))(?P<last>[0-9]{1,2})(?![0-9a-z])",
    _I,
)
FULL_SEASON: Final = re.compile(
    r"(?<![a-z0-9])(?:S ?(?P<season>[0-9]{1,2}|[0-9]{4})(?![0-9]|[-_. ]?E[0-9]|x[0-9])"
    rf"|(?:{_SEASON_WORD}|(?<=- )series|sn)(?![a-z]){_NUMBER_SEPARATOR}"
    r"(?P<season_word>[0-9]{1,4})(?![0-9]|[pi](?![a-z]))"
    rf"|(?P<season_first>[0-9]{{1,2}}){_ORDINAL}(?:[-_. ]{{0,3}}(?:a|-|à|to|&|e|и)[-_. ]{{0,3}}"
    rf"(?P<season_last>[0-9]{{1,2}}){_ORDINAL})?[_. ]?{_SEASON_WORD}(?![a-z]))",
    _I,
)
# More seasons after the first: "1-3", "1 to 6", "1 à 3", "1, 2 & 3", "1 2 3", "S01-S03".
SEASON_LIST: Final = re.compile(
    r"(?:(?:[-_. ]?(?:-|~|to|à|a|thru|:)[-_. ]?"
    r"|[-_. ]{0,2}(?:[,&+/]|and|y|e|и)(?:[-_. ]{0,2}(?:&|and))?[-_. ]{0,2}|[-_. ])"
    rf"S?(?:{_SEASON_WORD}[-_. ])?[0-9]{{1,2}}{_ORDINAL}(?![0-9]|[-_. ]?E[0-9]|x[0-9]|p))"
    r"{1,30}",
    _I,
)
SEASON_LIST_ITEM: Final = re.compile(
    r"[_.,&+/ ]*(?P<range>(?:-|~|to|à|a|thru|:)(?![a-z]))?[-_. ]*S?(?:[^\W0-9_]{2,10}[-_. ]+)?"
    r"(?P<number>[0-9]{1,2})",
    _I,
)
SPECIAL_SEASON_PART: Final = re.compile(r"^[-_. ]*(?:part|vol|p)[-_. ]?[0-9]", _I)
ANIME_ABSOLUTE: Final = re.compile(
    r"(?<!movie)(?<!film)(?<!part)(?P<lead>[-_. ]{0,3}-[-_. ]{0,3}|[-_ ]{1,3}|[-_. ]#?|\[|\(|第)"
    r"(?<![ _][0-9]\.)(?<![^a-z]no\.)"  # "No.6" is a title's number
    r"(?P<padded>(?=0))?(?P<episode>[0-9]{1,4}(?:\.[0-9])?)(?!\.[0-9]{2}(?![0-9]))"
    # "01-25", "01~10", "001-002-003", "103, 104"; spaced "01 - 119" only after a zero-padded number
    # ("Show 2 - 05" is episode 5 of "Show 2").
    r"(?P<range>(?:v[0-9])?(?:[-~+]|\s~\s|,\s?(?=[0-9]{2})|(?(padded)\s-\s|(?!)))[0-9]{1,4}"
    r"(?:-[0-9]{1,4})*)?"
    r"(?![-_. ](?:19|20)[0-9]{2}(?![0-9x]))(?:v(?P<version>[0-9]))?"
    r"(?:[话話集]|END|完|[abc](?=[-_ .]))?"
    r"(?=$|[-_ .]|\]|\)|\[|\(|v[0-9])",
    _I,
)
EPISODE_WORD: Final = re.compile(
    r"[-_. ](?:episode|episodio)[-_. ]?(?P<episode>[0-9]{1,4})(?:-(?P<last>[0-9]{1,4}))?(?![0-9])",
    _I,
)
ANIME_EPISODE_WORD: Final = re.compile(
    r"[-_. ](?:episode|episodio|ep)[-_. ]?(?P<episode>[0-9]{1,4})"
    r"(?:-(?P<last>[0-9]{1,4}))?(?![0-9])",
    _I,
)
ANIME_TRAILING_NUMBER: Final = re.compile(
    r"(?:[-_. ]{0,3}-[-_. ]{0,3}(?P<dashed>[0-9]{2,4}(?:\.[0-9])?)|[-_. ]{1,3}(?P<bare>[0-9]{3,4}))"
    r"[-_. ]{0,3}-?[-_. ]{0,3}\(?$"
)
ANIME_SEASON_THEN_NUMBER: Final = re.compile(
    r"(?:[-_. ]{1,3}\((?P<year>(?:19|20)[0-9]{2})\))?"  # "Show S2 (2019) - 11"
    r"(?P<part>[-_. ]{1,3}-[-_. ]{0,3}Part[-_. ]?[0-9]{1,2})?"  # "Show - S03 - Part 1 - 13"
    r"(?:(?:[-_. ]{1,3}-[-_. ]{0,3}|[-_. ]{1,3}\((?!(?:19|20)[0-9]{2}\)))"  # "- 12", "(01 - 12)"
    r"(?P<dashed>[0-9]{2,4})(?:\s?[-~]\s?(?P<last>[0-9]{2,4}))?"
    r"|[-_. ]{1,3}(?!(?:19|20)[0-9]{2}|(?:480|576|720|1080|2160)(?![0-9]))(?P<bare>[0-9]{3,4})"
    r"|[-_. ]{0,3}\[(?P<bracketed>[0-9]{1,4})\])(?![0-9]|x|p)",
    _I,
)
TURKISH_EPISODE: Final = re.compile(
    r"(?<![0-9])(?P<episode>[0-9]{1,4})\.?\s?(?:bölüm|bolum|blm)(?![a-z])", _I
)
# An anime release's revision glued to or right after its number: "01v2", "2018 v2".
NUMBER_VERSION: Final = re.compile(r"[0-9] ?v(?P<version>[1-9])(?![a-z0-9])", _I)
HASH: Final = re.compile(r"[\[(][0-9a-f]{8}[\])]", _I)
PACKED_EPISODE: Final = re.compile(
    r"(?<=[-_. ])(?P<season>[1-9]|[0-9]{2})(?P<episode>[0-9]{2})(?=[-_. ]|$)"
    r"(?![-_. ]?[0-9]{2}(?:[-_. ]|$))"  # not "2011 04 18"
)
PACKED_MORE: Final = re.compile(
    r"[-_. ](?P<season>[1-9]|[0-9]{2})(?P<episode>[0-9]{2})(?=[-_. ]|$)"
)
SPECIAL: Final = re.compile(
    r"(?<![a-z0-9])(?:(?:SP|OVA|OAD|ONA|Special)(?:[-_. ]?|\s-\s)(?P<episode>[0-9]{1,3})"
    r"(?![0-9]|\.[0-9])"
    r"|(?P<word>OVA|OAD|ONA|Specials)(?:[-_. ]?[0-9]{1,3}\.[0-9])?)(?![a-z0-9])",  # "OVA3.5"
    _I,
)
# An anime's extras, in capitals: openings and endings ("ED2", "NCOP", "OP4a"), promotional
# videos and commercials ("- PV"), and extra episodes ("EX01").
ANIME_EXTRA: Final = re.compile(
    r"(?<![A-Za-z0-9])(?:EX(?P<episode>[0-9]{1,2})|(?:NC)?(?:OP|ED)(?:[0-9]{1,2}[a-z]?)?|PV|CM)"
    r"(?![A-Za-z0-9])"
)
# Chinese and Japanese numbering: seasons "第二季", "2期", "シーズン2"; episodes "第3集", "第19話".
_CJK_NUMBER = r"[0-9]{1,4}|[一二三四五六七八九十百]{1,5}"
CJK_SEASON: Final = re.compile(
    rf"(?:第(?P<number>{_CJK_NUMBER})季|(?P<plain>[0-9]{{1,2}})期|シーズン\s?(?P<kana>[0-9]{{1,2}}))"
)
CJK_EPISODE: Final = re.compile(rf"第(?P<number>{_CJK_NUMBER})[集話话回]")
CJK_DIGITS: Final = {digit: value for value, digit in enumerate("一二三四五六七八九", 1)}
# Numbering that leads a name: "01 - Title", "003. Title - Name", "[Group] 06 Title".
LEADING_NUMBER: Final = re.compile(
    r"^(?P<episode>[0-9]{1,4})(?:-(?P<last>[0-9]{1,4}))?(?:v[1-9])?"
    r"(?P<separator>\s?-\s|\.\s|\s|-)(?=[^\W0-9_])"
)
# A bare number after a title ("Show.07.HDTV", "Show Name 13-16", "Show.05.Episode.Name").
BARE_NUMBER: Final = re.compile(
    r"(?<=[._ ])(?<!part.)(?<!vol.)(?<!cd.)(?<!disc.)(?<!no.)(?<!\#)"
    r"(?P<episode>[0-9]{1,2})(?:-(?P<last>[0-9]{1,2}))?(?:v[1-9])?(?=[._ ]|$)(?![._ ][0-9])",
    _I,
)
MINI_SERIES: Final = re.compile(
    r"(?<![a-z0-9])(?<!movie[-_. ])"
    r"(?:part[-_. ]?(?P<part>[0-9]{1,2}|one|two|three|four|five|six|seven|eight|nine)"
    r"|E(?:P)?(?P<episode>[0-9]{1,4})(?:(?:-|[-_. ]{0,3}-[-_. ]{0,3}E)(?P<last>[0-9]{1,4})"
    r"|-(?P<end>[0-9]{2,4}))?(?:v[0-9])?"
    r"|(?P<of>[0-9]{1,2})[-_. ]?(?:of|iz|из)[-_. ]?[0-9]{1,2}|#(?P<hash>[0-9]{1,4}))(?![0-9a-z])",
    _I,
)
NUMBER_WORDS: Final = {
    word: number
    for number, word in enumerate(
        ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine"), 1
    )
}
LEADING_YEAR: Final = re.compile(r"^[(\[](?P<year>1[89][0-9]{2}|20[0-9]{2})[)\]]\s*(?=\S)")
YEAR: Final = re.compile(
    r"(?<![0-9a-z])[(\[]?(?P<year>1[89][0-9]{2}|20[0-9]{2})[)\]]?"
    r"(?![0-9a-z]|[-_. ][0-9]{2}(?:[-_. ]|$))",  # not the year of a date "2011.04.18"
    _I,
)
# Tokens after which a name no longer holds its title: quality, tags and packaging.
TITLE_END: Final = re.compile(
    r"(?<![a-z0-9'])(?:[0-9]{3,4}[pi]|4k|uhd|[0-9]{3,4}x[0-9]{3,4}"
    r"|hdtv|pdtv|sdtv|dsr|tvrip|satrip|dvb|hr|ws"
    r"|web|web[-_. ]?dl|web[-_. ]?rip|hdrip"
    r"|blu-?ray|mbluray|bd|bd-?rip|br-?rip|uhd(?:bd)?rip|bd(?:25|50|66)|m2ts|iso|remux|bdremux"
    r"|dvd-?rip|dvdr?[59]?|hddvd|hd[-_. ]dvd|pal|ntsc"
    r"|ts|telesync|hdts|cam|hdcam|camrip|tc|screener|scr|dvdscr|r5"
    r"|xvid|divx|[xh][-_. ]?26[45]|hevc|avc|hdr|dv|ac3|aac|dts|dd5|ddp|flac|mp3"
    r"|proper|repack|rerip|real|internal|limited|extended|unrated|uncut|remastered"
    r"|directors?'?[-_. ]?cut|theatrical|imax|sample|(?:the[-_. ])?complete"
    r"|dubbed|subbed|multi|dual[-_. ]audio|german|french|truefrench|vostfr|vff|italian|spanish"
    r"|latino|russian|polish|japanese|korean|hindi|dutch|swedish|nordic|english"
    r"|amzn|nf|dsnp|hmax|atvp|hulu"
    r"|(?:bd|br|bdrip|brrip|dl|hdtv|web-?dl|web)mux|vol(?:ume)?(?=[-_. ]{0,2}[0-9])"
    r"|vr[-_. ]?(?:360|180)|360[-_. ]?vr"
    r")(?![a-z0-9])",
    _I,
)
# Scene tags in capitals that end any title ("Hardwired.STV.NFOFiX.FRENCH", "Movie.CONVERT.720p"),
# and more that end a film's title before its year ("Alien.DC.1979", "Movie.COMPLETE.2019").
_SCENE_WORDS = r"STV|NFOFiX|NFOFIX|READNFO|CONVERT|DOKU|XXX|CUSTOM|SWiSSGERMAN|SWISSGERMAN"
_FILM_WORDS = r"DC|SE|OM|VR180|VR|INTEGRALE?|INTÉGRALE|COFFRET|COMPLETE|PPV"
SCENE_TITLE_END: Final = re.compile(rf"(?<![A-Za-z0-9'])(?:{_SCENE_WORDS})(?![A-Za-z0-9])")
SCENE_TAG: Final = re.compile(rf"(?<![A-Za-z0-9'])(?:{_SCENE_WORDS}|{_FILM_WORDS})(?![A-Za-z0-9])")
# Language words are title words too ("The Italian Job") unless tags follow them.
WEAK_TITLE_END: Final = frozenset(
    {
        *("german", "french", "italian", "spanish", "latino", "russian", "polish", "japanese"),
        *("korean", "hindi", "dutch", "swedish", "nordic", "english"),
        *("web", "complete", "real", "limited"),
    }
)
BRACKET_OPEN: Final = re.compile(
    r"[\[(](?=[^\])]{0,80}?(?<![a-z])(?:[0-9]{3,4}[pi]|x26[45]|web|blu-?ray|hdtv|flac|mp3|divx|xvid"
    r"|h\.?264|avc|hevc|dvd|bd(?:rip)?|remux)(?![a-z]))",
    _I,
)
ACRONYM: Final = re.compile(r"(?<![a-z0-9])(?:[a-z]\.){2,}(?:[a-z](?![a-z0-9]))?", _I)
TITLE_TRIM: Final = " -_.([{/|:,;+~"
MUSIC_LEADING_TAGS: Final = re.compile(r"^(?:\[[^\[\]]{1,40}\]\s*)+(?=[^\[\]]*\S)")
MUSIC_PREFIX: Final = re.compile(
    r"^(?:\([^()]{1,60}\)\s*)?(?:\[(?:CD|WEB|vinyl|SACD|DVD)\]\s*)?", _I
)
MUSIC_ARTIST_ALBUM: Final = re.compile(r"^(?P<artist>.+?)\s+[-\u2013\u2014]\s*(?P<album>.+)$")
MUSIC_ALBUM_END: Final = re.compile(
    r"\s*(?:[(\[{]|$"
    r"|(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])(?!\s*[(\[]?(?:19|20)[0-9]{2})"  # "Live 2016 (2017)"
    r"|\b(?:FLAC|MP3|AAC|ALAC|M4A|OGG|WEB|CD|[0-9]CD|lossless|repack[0-9]?|proper|rerip[0-9]?)\b)",
    _I,
)
DISCOGRAPHY: Final = re.compile(r"(?<![a-z])(?:discography|discografia)(?![a-z])", _I)
SPACES: Final = re.compile(r"\s+")


def is_year(number: str) -> bool:
    """Tell whether a four-digit number reads as a year."""
    return len(number) == len("2000") and number[:2] in {"19", "20"}


def clean_title(raw: str) -> str:
    """Turn the title part into words (dots and underscores to spaces, acronyms kept)."""
    title = raw.lstrip(TITLE_TRIM)
    if "." in title:
        title = ACRONYM.sub(_protect_dots, title)
    title = title.rstrip(TITLE_TRIM)
    if "." in title:
        title = _DOT_BETWEEN_WORDS.sub(" ", title) if " " in title else title.replace(".", " ")
    title = _ACRONYM_THEN_WORD.sub(" ", title)  # "S.W.A.T.2017" is "S.W.A.T. 2017"
    title = _TRAILING_ARTICLE.sub(r"\g<article> \g<rest>", title)  # "Simpsons, The"
    title = SPACES.sub(" ", title.replace("\0", ".").replace("_", " ")).strip(_TITLE_END_TRIM)
    if (bare := _TITLE_PACK_WORDS.sub("", title)) and bare != title:
        title = bare.strip(_TITLE_END_TRIM)
    if NATIVE_SCRIPT.search(title):
        title = _latin_alternative(title)
    # "Show (2016/S01/WEB-DL)" was cut inside its parenthesis; "Title (Western 1950)" has its
    # year cut and loses the rest of the parenthesis.
    if title.endswith(tuple("0123456789")):
        return _UNCLOSED_YEAR.sub(r"\g<0>)", title)
    return _UNCLOSED_PARENTHESIS.sub("", title).rstrip(_TITLE_END_TRIM) or title


def _latin_alternative(title: str) -> str:
    """Prefer the Latin-script one of `native / Latin` alternative titles."""
    if (inner := _LATIN_IN_PARENTHESES.search(title)) and NATIVE_SCRIPT.search(
        title[: inner.start()]
    ):
        return inner.group("latin")  # "Мыши и люди (Of Mice and Men)"
    if " / " in title:
        title = _PARENTHETICAL.sub("", title)  # "(Director / Director)" is no alternative title
    parts = [part for part in TITLE_ALTERNATIVES.split(title) if part] or [title]
    latin = [part for part in parts if not NATIVE_SCRIPT.search(part)]
    if not latin and (spaced := _NATIVE_THEN_LATIN.match(parts[-1])):
        return spaced.group("latin")  # "劇場版 ペンギン Penguin Highway": native words, then Latin
    return latin[-1] if latin else parts[-1]


def _protect_dots(match: re.Match[str]) -> str:
    """Keep the dots of an acronym such as `S.W.A.T.` while separators turn into spaces."""
    return match.group(0).replace(".", "\0")


_TITLE_PACK_WORDS = re.compile(
    r"(?:[-_.:, ]+(?:(?:the[-_. ])?complete(?:[-_. ]series)?|collection|int[ée]grale?|coffret|all)"
    r"|(?<![0-9]st|[0-9]nd|[0-9]rd|[0-9]th)[-_.:, ]+(?:seasons?|saison|temporada))+$",
    _I,
)
_LATIN_IN_PARENTHESES = re.compile(
    r"\((?P<latin>[^()\u0400-\u04ff\u3040-\u9fff]*[a-z][^()\u0400-\u04ff\u3040-\u9fff]*)\)\s*$", _I
)
_PARENTHETICAL = re.compile(r"\s*\([^()]*\)")
_NATIVE_THEN_LATIN = re.compile(
    r"^[^a-z]*[\u0400-\u04ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af][^a-z]*\s"
    r"(?P<latin>[a-z][^\u0400-\u04ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]*)$",
    _I,
)
_ACRONYM_THEN_WORD = re.compile(r"(?<=[A-Z]\0)(?=[A-Za-z0-9]{2})")
_DOT_BETWEEN_WORDS = re.compile(r"\.(?=\S)|(?<=\S)\.(?=\s|$)")
_TITLE_END_TRIM = " -_/|:,;+~[{"
_TRAILING_ARTICLE = re.compile(r"^(?P<rest>[^,]+), (?P<article>The|A|An)$", _I)
_UNCLOSED_PARENTHESIS = re.compile(r"\s*\([^()]*$")
_UNCLOSED_YEAR = re.compile(r"\((?:19|20)[0-9]{2}$")
