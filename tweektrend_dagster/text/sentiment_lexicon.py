"""Small polarity lexicons for `sentiment.py` (English words, Korean nouns and stems, emoji).

Kept deliberately short and unambiguous. Domain words whose polarity depends on the keyword are
left out on purpose: 확진 / "cases" / "positive" (a covid test) would make every 코로나 tweet
negative or positive and say nothing about the writer's mood.
"""

from __future__ import annotations

ENGLISH_POSITIVE: frozenset[str] = frozenset(
    """
    love loved loves lovely like liked adore amazing awesome beautiful best better brilliant
    congrats congratulations cool cute delicious delighted enjoy enjoyed excellent excited exciting
    fabulous fantastic favorite favourite fun glad good gorgeous grateful great happy hope hopeful
    impressive incredible joy kind legendary lucky masterpiece nice perfect pleased proud recommend
    safe smile stunning success successful superb support thank thanks thankful thrilled top win
    winning won wonderful wow yay
    """.split()
)

ENGLISH_NEGATIVE: frozenset[str] = frozenset(
    """
    abuse afraid angry annoyed annoying anxious awful bad boring broke broken cancel cancelled
    crash crashed crashing crisis cry crying damn dead death depressed depressing die died
    disappointed disappointing disaster disgusting dislike dreadful fail failed failure fake fear
    furious hate hated hates horrible hurt hurts kill killed lose losing lost mad mess miserable
    outrage pain painful poor racist sad scam scared scary shame shameful sick sucks terrible
    terrified tragedy tragic trash ugly unfair unhappy upset useless waste worse worst wrong
    """.split()
)

ENGLISH_NEGATORS: frozenset[str] = frozenset(
    """
    not no never nothing nobody none neither nor cannot cant dont doesnt didnt isnt arent wasnt
    werent wont wouldnt shouldnt couldnt hasnt havent hadnt aint without hardly barely
    """.split()
)

# Words that end a negation's scope: "can't believe how great", "not perfect but good".
ENGLISH_NEGATION_BREAKERS: frozenset[str] = frozenset(
    "but however though although yet how what believe wait".split()
)

# Nouns are matched against the tweet's tokens (exact Kiwi nouns), not substrings of the text:
# 감사 is left out because it also means "audit" (국정감사).
KOREAN_POSITIVE_NOUNS: frozenset[str] = frozenset(
    """
    최고 행복 사랑 축하 감동 응원 기쁨 대박 희망 성공 승리 우승 감탄 만족 칭찬
    존경 환영 축복 꿀잼 존잼 명작 레전드 설렘 자랑 추천 평화
    """.split()
)

KOREAN_NEGATIVE_NOUNS: frozenset[str] = frozenset(
    """
    최악 사망 실망 짜증 걱정 불안 우울 분노 혐오 쓰레기 노잼 비극 참사 고통 슬픔 공포 폭망 절망 후회
    불만 불편 피해 사기 논란 갑질 비리 학대 폭력 테러 망신 적자 폭락
    """.split()
)

# Predicate stems (adjectives/verbs) matched as regex fragments in the text, because Kiwi's
# noun-only tokens do not carry them. Patterns avoid known false friends: 아파(?!트) skips
# 아파트, and 화 needs 화가 나/화났/화난 since 화나 also occurs in 변화나.
KOREAN_POSITIVE_STEMS: tuple[str, ...] = (
    "좋",
    "재밌",
    "재미있",
    "멋있",
    "멋지",
    "멋져",
    "멋진",
    "예쁘",
    "예뻐",
    "예쁜",
    "이쁘",
    "이뻐",
    "이쁜",
    "귀엽",
    "귀여",
    "기쁘",
    "기뻐",
    "기쁜",
    "신나",
    "신난",
    "맛있",
    "훌륭",
    "고마",
    "고맙",
    "감사하",
    "감사해",
    "감사합",
    "반갑",
    "반가",
    "설레",
    "즐겁",
    "즐거",
    "잘했",
    "든든",
)

KOREAN_NEGATIVE_STEMS: tuple[str, ...] = (
    "싫",
    "나쁘",
    "나빠",
    "나쁜",
    "재미없",
    "맛없",
    "슬프",
    "슬퍼",
    "슬픈",
    "아프",
    "아파(?!트)",
    "아픈",
    "힘들",
    "힘든",
    "무섭",
    "무서",
    "화가 ?나",
    "화났",
    "화난",
    "빡치",
    "빡쳐",
    "괴롭",
    "괴로",
    "지루",
    "끔찍",
    "역겹",
    "역겨",
    "망했",
    "망함",
    "답답",
    "서운",
    "속상",
    "억울",
    "못생",
    "죽겠",
    "죽었",
    "죽음",
)

# Negation around a Korean predicate: "안 좋아", "못 참", and "좋지 않다", "좋진 않아", "좋지도 못".
KOREAN_NEGATION_PREFIXES: tuple[str, ...] = ("안 ", "안", "못 ", "못")
KOREAN_NEGATION_SUFFIX = r"[가-힣]{0,2}?(?:지|진|지는|지도|지가)\s?(?:않|못|말|안)"
# After a noun: "걱정 없어", "최고는 아니", "행복하지 않아".
KOREAN_NOUN_NEGATION_SUFFIX = (
    r"\s?(?:[은는이가도]\s?)?(?:없|아니|아님|안\s?되|하지\s?않|하지\s?못|하진\s?않|스럽지\s?않)"
)

EMOJI_POSITIVE: frozenset[str] = frozenset("❤💕💖💗💙💜💚🧡💛😍🥰😊😁😄😃🙂👍👏🎉🥳✨💯🙌🤗😘")
EMOJI_NEGATIVE: frozenset[str] = frozenset("😡😠🤬😢😞😔😟😩😫💔👎🤮😤😰😱")
