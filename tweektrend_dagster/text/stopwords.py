"""Stopwords for related-word candidates (English and Korean).

English: a function-word list in the spirit of NLTK/Snowball plus Twitter noise ("rt", "amp",
"https"). Apostrophes are removed before lookup, so contractions appear without them ("dont").
Korean: nouns (NNG/NNP from Kiwi) that carry no topic in tweets: time deixis, pronoun-like nouns,
dependent-like nouns Kiwi sometimes tags NNG, and filler. Particles and endings never reach this
list because only noun tags are kept.
"""

from __future__ import annotations

ENGLISH_STOPWORDS: frozenset[str] = frozenset(
    """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot cant could couldn couldnt did didn didnt do
    does doesn doesnt doing don dont down during each either else ever every few for from further
    get gets got had hadn hadnt has hasn hasnt have haven havent having he hed hell hes her here
    heres hers herself him himself his how hows however id if ill im in into is isn isnt it its
    itself ive just let lets ll may me might mine more most much must mustn mustnt my myself
    neither no nor not now of off on once one only or other ought our ours ourselves out over own
    re same shan shant she shed shell shes should shouldn shouldnt so some such than that thats
    the their theirs them themselves then there theres these they theyd theyll theyre theyve this
    those though through to too under until up upon us very via was wasn wasnt we wed well were
    weren werent weve what whats when whens where wheres whether which while who whom whos why
    whys will with within without won wont would wouldn wouldnt yet you youd youll your youre
    yours yourself yourselves youve
    rt amp gt lt http https www com co html
    im ur u2 pls plz lol omg yeah yes ok okay oh hey hi like just really still even gonna wanna
    gotta thing things something anything nothing everything someone anyone everyone
    today tomorrow yesterday now day days time
    """.split()
)

KOREAN_STOPWORDS: frozenset[str] = frozenset(
    """
    것 수 등 때 거 게 건 걸 점 중 뭐 좀 안 더 곳 분 번 개 년 월 일 시 명 씨 님 쪽 편 측 내 외
    오늘 내일 어제 모레 지금 이번 저번 다음 요즘 최근 현재 당시 이후 이전 직후 동안 하루 매일 항상
    우리 저희 여러분 자신 자기 본인 누구 무엇 뭔가 아무 모두 모든 각자 서로
    그것 이것 저것 여기 거기 저기 어디 언제 이거 그거 저거 이게 그게
    때문 관련 대해 통해 위해 대한 경우 정도 부분 사실 얘기 이야기 가지 자체 이상 이하 이내 전후
    생각 느낌 마음 진짜 정말 완전 그냥 계속 이제 다시 아주 너무 제일 가장 하나 둘 처음 마지막
    사람 사람들 분들 친구 인간 이름 내용 문제 상황 결과 시간 시작 오전 오후 아침 저녁 밤 주말
    ㅋㅋ ㅎㅎ ㅠㅠ ㅜㅜ
    """.split()
)

# Single-syllable nouns are mostly analysis fragments ("대박" → 대+박) or bound nouns, so the
# tokenizer drops them; these carry a real topic and are kept.
KOREAN_SINGLE_SYLLABLE_KEEP: frozenset[str] = frozenset(
    """
    돈 집 차 꽃 밥 술 책 눈 비 물 불 옷 약 병 팬 빵 춤 골 표 땅 몸 맛 꿈 쌀 폰 값 금 법 쇼 곡 글 길
    닭 떡 봄 뼈 산 섬 손 숲 잠 죄 창 칼 탑 팀 피 혀 흙 힘 술 빚 벽 별 북 뇌 폭 핵 왕 적 암 표 컵
    """.split()
)


def is_stopword(token: str) -> bool:
    """True when the token is an English or Korean stopword (hashtags are never stopwords)."""
    return token in ENGLISH_STOPWORDS or token in KOREAN_STOPWORDS
