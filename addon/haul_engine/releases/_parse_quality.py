"""Quality, codec, audio, language and revision tokens of release names (precompiled patterns)."""

from __future__ import annotations

import re
from typing import Final

_I = re.IGNORECASE


def word_set(words: str) -> frozenset[str]:
    """Return the space-separated words of a vocabulary as a set."""
    return frozenset(words.split())


RESOLUTION: Final = re.compile(
    r"(?:(?<![0-9])(?:"
    r"(?P<r2160>2160[pi]|3840x2160)"
    r"|(?P<r1080>1080[pi]|1920x1080|1440p)"
    r"|(?P<r720>720[pi]|1280x720|960p)"
    r"|(?P<r576>576[pi])"
    r"|(?P<r480>480[pi]|640x480|848x480|360p|540p|240p))"
    # Words count only when no number is given ("4K.BluRay.Remux.1080p" is 1080).
    r"|(?<![a-z0-9])(?:(?P<r1080w>fhd|4k[-_. ]?to[-_. ]?1080p)|(?P<r2160w>4k|uhd))"
    r")(?![a-z0-9])",
    _I,
)
SOURCE: Final = re.compile(
    r"(?<![a-z0-9])(?:"
    r"(?P<brdisk>bd-?(?:25|50|66|100)|blu-?ray[-_. ]?(?:disc|disk)|(?:complete|full)[-_. ]blu-?ray"
    r"|bdiso|bd[-_. ]?full|avc[-_. ]?hd|iso|untouched)"
    r"|(?P<remux>(?:bd|uhd|br)?[-_. ]?remux)"
    r"|(?P<bdrip>(?:uhd)?bd-?rip|br-?rip|hd[-_. ]?dvd-?rip)"
    r"|(?P<bluray>(?:m|uhd)?blu[-_. ]?ray[0-9]*|hd[-_. ]?dvd|bdmux|bd(?:light|5|9)?|uhd[-_. ]?bd"
    r"|uhd2bd)"
    r"|(?P<webrip>web[-_. ]?rip|webmux|web[-_. ]?cap)"
    r"|(?P<webdl>web[-_. ]?dl(?:mux|rip)?|webhd|web|amazon[hs]d|itunes[-_. ]?hd|netflixu?hd"
    r"|maxdomehd|hbomaxhd|disneyhd|dsnp[-_. ]?web|dlmux)"
    r"|(?P<rawhd>raw[-_. ]?hd)"
    r"|(?P<hdtv>hdtv(?:rip)?|hd[-_. ]tv|tvhd)"
    r"|(?P<sdtv>pdtv|sdtv|dsr(?:ip)?|tvrip|dvb(?:rip)?|satrip|dthrip|ws[-_. ]dsr|ppv(?:rip)?)"
    r"|(?P<fulldvd>[0-9]?x?dvd[59]|m?dvd-?r)"
    r"|(?P<dvd>dvd(?:rip|mux)?|dvd[-_. ]rip|ntsc|pal|xvidvd|vhsrip)"
    r"|(?P<screener>(?:dvd|bd|web)?[-_. ]?scr(?:eener)?|screener)"
    r"|(?P<regional>r[0-9]|regional)"
    r"|(?P<telesync>ts|hd-?ts|telesynch?|pdvd|ts-?rip|hdts-?rip|predvd(?:rip)?)"
    r"|(?P<telecine>tc|hd-?tc|telecine)"
    r"|(?P<cam>(?:new|hq|hd)?-?cam(?:-?rip)?|hq-?cam|hdcam(?:rip)?)"
    r"|(?P<workprint>workprint|wp)"
    r")(?=[0-9]{3,4}[pi]|[^a-z0-9]|$)",  # "Bluray720p": a resolution may be glued on
    _I,
)
# Blu-ray or HD DVD with the disc's own video codec (not an x264/x265 encode) is a disc image.
DISC_CODEC: Final = re.compile(
    r"(?<![a-z0-9])(?:blu[-_. ]?ray|hd[-_. ]?dvd)[-_. ](?:[0-9]{3,4}[pi][-_. ])?(?:3d[-_. ])?"
    r"(?:avc|vc-?1|mpeg-?2)(?![a-z0-9])",
    _I,
)
# A bare "web" is a source only in capitals, in brackets or before quality tags (not "The.Web.S01").
WEB_CONFIRMED: Final = re.compile(
    r"[-_. ]?(?:[0-9]{3,4}p|[xh]\.?26[45]|dl|rip|ddp?[0-9]?|aac|eac3|flac|\])", _I
)
CODEC: Final = re.compile(
    r"(?<![a-z0-9])(?:"
    r"(?P<x265>[xh][-_. ]?265|hevc)"
    r"|(?P<x264>[xh][-_. ]?264|avc)"
    r"|(?P<av1>av1)"
    r"|(?P<xvid>xvid|divx)"
    r"|(?P<mpeg2>mpeg-?2)"
    r"|(?P<vc1>vc-?1)"
    r")(?![a-z0-9])",
    _I,
)
HDR: Final = re.compile(
    r"(?<![a-z0-9])(?:(?P<hdr10plus>hdr10(?:\+|[-_. ]?plus))|(?P<hdr10>hdr(?:10)?)"
    r"|(?P<dv>dv|dovi|dolby[-_. ]?vision)|(?P<hlg>hlg))(?![a-z0-9]|\+)",
    _I,
)
AUDIO: Final = re.compile(
    r"(?<![a-z0-9])(?:"
    r"(?P<truehd>true-?hd)"
    r"|(?P<dtsx>dts[-_. ]?x)"
    r"|(?P<dtshd>dts[-_. ]?hd(?:[-_. ]?ma)?|dts[-_. ]?ma)"
    r"|(?P<eac3>e-?ac-?3|ddp|dd\+|dolby[-_. ]?digital[-_. ]?plus)"
    r"|(?P<ac3>ac-?3|dd(?=[-_. ]?[1-7][-_. ]?[01]\b|\b)|dolby[-_. ]?digital)"
    r"|(?P<dts>dts(?:-es)?)"
    r"|(?P<aac>aac|he-?aac)"
    r"|(?P<flac>flac)"
    r"|(?P<opus>opus)"
    r"|(?P<pcm>l?pcm)"
    r"|(?P<mp3>mp3)"
    r")(?=[-_. ]?[0-9]|[^a-z0-9]|$)",
    _I,
)
AUDIO_NAMES: Final = {"dtsx": "dts-x", "dtshd": "dts-hd"}  # others are named as their group
CHANNELS: Final = re.compile(
    r"(?:(?<=[a-z+])|(?<=[a-z+][-_. ])|(?<![0-9.]))(?P<main>[124-9])[. ](?P<lfe>[01])(?![0-9])"
    r"|(?<![a-z0-9])(?P<ch>[2678])ch(?![a-z0-9])",
    _I,
)
CHANNELS_BY_COUNT: Final = {"2": "2.0", "6": "5.1", "7": "6.1", "8": "7.1"}
REVISION: Final = re.compile(
    r"(?:(?<![a-z0-9])(?:(?P<proper>proper)|(?P<repack>repack|rerip)(?P<repack_n>[0-9])?"
    r"|(?<=\[)v(?P<bracketed_version>[1-9])(?=\])|v(?P<version>[1-9]))"
    r"|(?<=[0-9])v(?P<anime_version>[1-9]))(?![a-z0-9])",
    _I,
)
# Streaming services by scene tag; a tag counts only before WEB/resolution tags or at the end.
STREAMING_TAGS: Final = {
    tag: service
    for service, tags in {
        "amazon": "amzn amazon",
        "netflix": "nf netflix",
        "disney": "dsnp dsny disney",
        "apple": "atvp atv",
        "hbo": "hmax hbo",
        "hulu": "hulu",
        "peacock": "pcok",
        "paramount": "pmtp",
        "bbc": "ip",
        "crunchyroll": "cr",
        "itunes": "it",
        "max": "max",
        "crave": "crav",
        "stan": "stan",
        "youtube": "yt red",
        "showtime": "sho shot",
        "starz": "stz",
        "skyshowtime": "skysho",
    }.items()
    for tag in tags.split()
}
STREAMING_FOLLOWERS: Final = word_set(
    "web webdl webrip dl uhd hdr hdr10 dv dovi h x264 x265 h264 h265 2160p 1080p 720p 480p "
    "hybrid ddp5 ddp2 ddp aac2 dd5"
)
EDITION: Final = re.compile(
    r"(?<![a-z0-9])(?P<edition>(?:(?:extended|ultimate|special|collector'?s?|director'?s?"
    r"|theatrical|final"
    r"|imperial|diamond|luxe|signature|despecialized|(?:[0-9]{2,3}(?:th|st|nd"
    r"|rd)?[-_. ])?anniversary"
    r"|rogue|rouge|assembly|hunter|rekall|alternate|uncensored|remastered|unrated|uncut"
    r"|open[-_. ]?matte"
    r"|imax|fan[-_. ]?edit|restored|criterion|recut|[234]in1|cut|edition|version)(?:[-_. ]"
    r"|(?![a-z0-9])))+)",
    _I,
)
# An edition needs one of these; "Cut", "Edition" or "Special" alone are ordinary title words.
EDITION_STRONG: Final = word_set(
    "extended ultimate collectors collector directors director theatrical despecialized "
    "anniversary uncensored remastered unrated uncut matte openmatte imax fanedit edit "
    "restored criterion recut 2in1 3in1 4in1"
)
EDITION_QUALIFIED: Final = word_set(
    "special final imperial diamond signature hunter rekall rogue rouge assembly alternate"
)
# Words without which a name holds no edition (checked before the edition pattern runs).
EDITION_WORDS: Final = word_set(
    "extended ultimate special collectors collector directors director theatrical final "
    "imperial diamond signature despecialized anniversary rogue assembly hunter rekall "
    "alternate uncensored remastered unrated uncut open imax fan restored criterion recut "
    "2in1 3in1 4in1 openmatte rouge"
)
LANGUAGE_WORDS: Final = {
    word: code
    for code, words in {
        "en": "english eng en",
        "fr": "french truefrench vostfr vff vfq vfi vf vf2 fr fre fra",
        "de": "german deutsch ger videomann swissgerman de",
        "es": "spanish español espanol esp spa castellano latino es",
        "it": "italian ita it",
        "pt": "portuguese português portugues dublado ptbr por pt brazilian",
        "nl": "dutch flemish nl vlaams",
        "ru": "russian rus ru",
        "pl": "polish pl pldub dubpl pllek lekpl lektor",
        "uk": "ukrainian ukr",
        "ja": "japanese jap jpn ja",
        "zh": "chinese mandarin cantonese chs cht big5 gb",
        "ko": "korean kor",
        "hi": "hindi hin",
        "sv": "swedish swe swesub",
        "da": "danish dan",
        "no": "norwegian nor",
        "fi": "finnish fin",
        "tr": "turkish tur",
        "el": "greek gre",
        "he": "hebrew heb hebdub hebdubbed",
        "hu": "hungarian hun hundub hu",
        "cs": "czech cze cz",
        "sk": "slovak svk sk",
        "ro": "romanian rom rum rodubbed",
        "bg": "bulgarian bgaudio bul bg",
        "ar": "arabic ara",
        "th": "thai",
        "vi": "vietnamese vie",
        "lt": "lithuanian lit lt",
        "lv": "latvian lav lv lat",
        "is": "icelandic ice",
        "ca": "catalan catalán català catala cat",
        "ka": "georgian geo ka",
        "ml": "malayalam mal",
        "te": "telugu tel",
        "ta": "tamil tam",
        "kn": "kannada kan",
        "bn": "bengali ben",
        "mr": "marathi",
        "ur": "urdu",
        "fa": "persian farsi",
        "id": "indonesian",
        "ms": "malay",
        "et": "estonian est",
        "sl": "slovenian slo",
        "sr": "serbian srb",
        "hr": "croatian hrv",
        "rm": "romansh romansch rumantsch",
        "mn": "mongolian khalkha",
        "tl": "tagalog filipino",
        "af": "afrikaans",
        "sq": "albanian",
        "az": "azerbaijani",
        "uz": "uzbek",
    }.items()
    for word in words.split()
}
# Two-letter codes count only in capitals ("IT" yes, "it" or iTunes' "iT" no); short codes that
# are English words count only when not written in lower case ("Cat" or "CAT", not "cat").
LANGUAGE_CAPITALS_ONLY: Final = word_set("fr nl pl cz pt de es it ru ja en hu sk bg lt ka gb")
LANGUAGE_NOT_LOWERCASE: Final = word_set(
    "fin tam ben mal ice geo lit est slo dan gre hun rom cat tel kan nor tur por spa vie heb lat"
)
SUBTITLE_WORDS: Final = word_set("sub subs subbed subtitle subtitles vost subtitulado ensub rusub")
# Chinese-language tags in Han script: 中 (Chinese), 简/繁 (simplified/traditional), 国语/國語.
CHINESE_MARKS: Final = frozenset("中简繁国國粤")
TOKEN: Final = re.compile(r"[^\W_]+")

AUDIO_FORMAT: Final = re.compile(
    r"(?<![a-z0-9])(?:(?P<flac>(?:web)?flac(?:24)?|lossless)|(?P<alac>alac)"
    r"|(?P<aac>aac|m4a(?![-_. ]?(?:flac|alac|lossless))|itunes[-_. ]plus)"
    r"|(?P<mp3>mp3)|(?P<vorbis>ogg|vorbis)|(?P<opus>opus)|(?P<ape>ape)|(?P<wavpack>wavpack|wv)"
    r"|(?P<wma>wma)|(?P<wav>wav))(?![a-z])",
    _I,
)
BITRATE: Final = re.compile(
    r"(?<![0-9])(?:(?P<kbps>[0-9]{2,3})[-_. ]?kbps|(?<=@)(?P<at>[0-9]{3})"
    r"|(?<=mp3[-_. ])(?P<mp3>[0-9]{3})|(?<=m4a[-_. ])(?P<m4a>[0-9]{3})"
    r"|(?<=[(\[])(?P<bracketed>96|128|160|192|224|256|320)(?=[)\]])"
    r"|(?<= )(?P<bare>192|256|320)$)(?![0-9])",
    _I,
)
VBR: Final = re.compile(r"(?<![a-z0-9])(?P<vbr>v[02])(?![a-z0-9])", _I)
BIT_DEPTH: Final = re.compile(
    r"(?:(?<![0-9])(?P<depth>16|24)[-_. ]?bits?(?![a-z])|(?<![a-z0-9])(?:flac|tr)(?P<flac>24)"
    r"|(?<![0-9])(?P<pair>24)-(?:44|48|88|96|176|192)(?![0-9]))",
    _I,
)
SAMPLE_RATE: Final = re.compile(
    r"(?<![0-9.])(?P<khz>44\.1|48|88\.2|96|176\.4|192)[-_. ]?khz|(?<![0-9])24-(?P<pair>44|48|88"
    r"|96|176|192)(?![0-9])"
    r"|(?<=flac24-)(?P<flac>44\.1|48|96|192)",
    _I,
)
SAMPLE_RATES_HZ: Final = {
    "44": 44_100, "44.1": 44_100, "48": 48_000, "88": 88_200, "88.2": 88_200,
    "96": 96_000, "176": 176_400, "176.4": 176_400, "192": 192_000,
}  # fmt: skip
