"""Word lists, topics, places and profiles for the simulator (data only).

Every list is ordered from most to least frequent: the simulator samples them with Zipf weights
by rank, so the order is the frequency ranking of the simulated language.
"""

from __future__ import annotations

# Word lists read better packed than one item a line.
# fmt: off

# ---- Korean ------------------------------------------------------------------------------------

# General nouns (no topic words here, so topic co-occurrence stays measurable).
KO_NOUNS: tuple[str, ...] = tuple(
    """
    오늘 사람 진짜 시간 생각 친구 회사 집 날씨 주말 내일 어제 아침 저녁 점심 커피 음식 영화 노래
    뉴스 경제 정치 정부 대통령 선거 서울 한국 미국 일본 중국 세계 시장 가격 주식 부동산
    아파트 월급 돈 일 공부 시험 대학 엄마 아빠 가족 아이 강아지 고양이 사진 여행 비행기 기차
    지하철 버스 자동차 길 하늘 비 눈 바람 봄 여름 가을 겨울 휴가 생일 선물 사랑 마음 기분 행복
    걱정 문제 이유 결과 소식 사건 사고 경찰 병원 의사 건강 운동 축구 야구 경기 선수 팀 게임
    유튜브 방송 인터넷 휴대폰 컴퓨터 회의 프로젝트 팀장 사장 직장 퇴근 출근 야근 주문 배달
    치킨 피자 라면 김치 밥 술 맥주 소주 카페 식당 편의점 마트 쇼핑 옷 신발 가방 화장품 머리
    얼굴 눈물 웃음 이야기 댓글 기사 기자 영상 공연 학교 선생님 학생 숙제 방학 졸업 취업 면접
    연애 결혼 남친 여친 동생 언니 오빠 형 누나 할머니 할아버지 이웃 동네 공원 바다 산 강 카톡
    알바 통장 카드 세금 전기 물가 월세 전세 이사 청소 빨래 요리 반찬 간식 디저트 케이크 빵
    과일 딸기 수박 우유 물 잠 꿈 목소리 취미 독서 책 만화 웹툰 그림 음악 가사 라디오 광고 브랜드
    할인 이벤트 쿠폰 택배 마감 보고서 월요일 금요일 토요일 일요일 새벽 밤 하루 일주일 한달 올해
    작년 내년 역사 문화 사회 환경 기후 미세먼지 태풍 지진 폭염 장마 교통 사고현장 도로 공항
    """.split()
)

# Particles attach to a noun depending on whether its last syllable has a final consonant.
KO_PARTICLES_BATCHIM: tuple[str, ...] = ("이", "은", "을", "과", "으로", "도", "에", "에서", "의")
KO_PARTICLES_VOWEL: tuple[str, ...] = ("가", "는", "를", "와", "로", "도", "에", "에서", "의")

KO_PREDICATES: tuple[str, ...] = tuple(
    """
    좋다 좋아요 대박이다 미쳤다 최고다 너무좋다 봤어요 했어요 먹었어요 기다려요 궁금하다 걱정된다
    기대된다 재밌다 힘들다 피곤하다 행복하다 슬프다 화난다 웃기다 신기하다 놀랍다 중요하다 필요하다
    심각하다 발표했다 시작됐다 끝났다 확인했다 공개됐다 바뀌었다 없다 있다 많다 비싸다 싸다 빠르다
    느리다 괜찮다 모르겠다 알겠다 보고싶다 사고싶다 가고싶다 실화냐 어떡해 말이되나 부럽다 아쉽다
    감동이다 귀엽다 멋있다 예쁘다 맛있다 배고프다 졸리다 바쁘다 심심하다 지친다 설렌다 고맙다
    미안하다 축하해요 응원해요 추천해요 싫다 무섭다 답답하다 짜증난다 최악이다 레전드다
    """.split()
)

KO_ADVERBS: tuple[str, ...] = tuple(
    "진짜 너무 정말 완전 또 드디어 벌써 아직 다시 계속 요즘 방금 솔직히 역시 갑자기 엄청".split()
)

KO_TAILS: tuple[str, ...] = ("ㅋㅋㅋ", "ㅠㅠ", "ㅎㅎ", "ㄷㄷ", "ㅋㅋ", "ㅜㅜ", "!!", "...")

# ---- English -----------------------------------------------------------------------------------

EN_NOUNS: tuple[str, ...] = tuple(
    """
    day time life world year week game music night work friends family news home
    weekend morning movie food city school team phone money coffee song dog house job party
    weather book car birthday summer winter station office kids dad baby video
    photo picture story article update event store deal sale class exam teacher
    students election president government economy policy country state traffic airport flight
    train bus hotel beach park trip vacation dinner lunch breakfast pizza burger tea beer wine
    gym workout run match player coach stadium ticket tickets festival
    podcast playlist headphones laptop computer app website internet wifi screen
    keyboard desk chair room bed sleep dream mood energy health doctor nurse medicine sunday
    monday friday saturday rain snow sun sky ocean river mountain garden flowers cat puppy
    """.split()
)

EN_SUBJECTS: tuple[str, ...] = (
    "I", "we", "you", "everyone", "my mom", "my friend", "people", "they", "my boss", "nobody",
)
EN_VERBS: tuple[str, ...] = (
    "loved", "needed", "watched", "got", "missed", "made", "saw", "bought", "tried", "found",
    "wanted", "started", "finished", "forgot", "fixed", "shared", "booked", "lost", "ordered",
    "hated",
)
EN_DETERMINERS: tuple[str, ...] = ("the", "my", "this", "a new", "our", "that", "your")
EN_TAILS: tuple[str, ...] = (
    "today", "again", "lol", "right now", "so much", "tonight", "this week", "for real", "ngl",
    "honestly", "already", "finally", "haha", "omg",
)
EN_OPENERS: tuple[str, ...] = ("so", "ok", "wow", "honestly", "just", "ugh", "breaking:", "yes")

EMOJIS: tuple[str, ...] = ("😂", "😭", "❤️", "🔥", "👍", "🙏", "✨", "🥺", "😍", "🤔", "👀", "💯")

GENERAL_HASHTAGS: tuple[str, ...] = (
    "일상", "데일리", "맛집", "여행", "오늘", "daily", "love", "mood", "weekend", "photography",
    "music", "news", "주말", "카페", "운동",
)

# ---- topics ------------------------------------------------------------------------------------
# names: surfaces of the topic's keywords per language (first = most common); related words are
# what makes a keyword's related-word ranking meaningful.

TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "covid": {
        "names_ko": ("코로나", "코로나19"),
        "names_en": ("covid", "COVID", "Covid", "COVID-19"),
        "related_ko": (
            "확진자", "백신", "마스크", "방역", "거리두기", "접종", "감염", "검사", "격리", "변이",
            "오미크론", "질병청", "병상", "치료제", "부스터샷", "자가진단",
        ),
        "related_en": (
            "vaccine", "mask", "cases", "lockdown", "pandemic", "booster", "variant", "omicron",
            "hospital", "quarantine", "testing", "outbreak", "CDC", "symptoms", "Pfizer",
        ),
        "predicates_ko": ("늘었다", "줄었다", "발생했다", "확산됐다", "심각하다", "걱정된다"),
        "predicates_en": (
            "cases are rising again", "numbers look bad today", "is not over yet",
            "rules changed again", "got me stuck at home", "update from the CDC",
        ),
        "hashtags": ("코로나19", "COVID19", "StaySafe", "백신접종", "Vaccine", "마스크"),
        "domains": ("www.yna.co.kr", "news.kbs.co.kr", "www.cdc.gov", "www.who.int"),
    },
    "bts": {
        "names_ko": ("BTS", "방탄소년단", "방탄"),
        "names_en": ("BTS", "bts"),
        "related_ko": (
            "콘서트", "앨범", "아미", "컴백", "뮤비", "무대", "정국", "지민", "뷔", "슈가", "진",
            "제이홉", "팬미팅", "빌보드", "음원", "티켓팅",
        ),
        "related_en": (
            "army", "concert", "album", "comeback", "Billboard", "Dynamite", "Butter", "tour",
            "stage", "fans", "Jungkook", "Jimin", "streaming", "MV", "chart",
        ),
        "predicates_ko": ("기다려요", "대박이다", "미쳤다", "사랑해요", "레전드다", "최고다"),
        "predicates_en": (
            "just broke another record", "is trending worldwide", "made my day",
            "tickets sold out in minutes", "is back and I'm crying", "deserves every award",
        ),
        "hashtags": ("BTS", "방탄소년단", "BTSARMY", "BTS_Butter", "아미"),
        "domains": ("www.youtube.com", "weverse.io", "www.billboard.com", "www.soompi.com"),
    },
    "netflix": {
        "names_ko": ("넷플릭스", "넷플"),
        "names_en": ("Netflix", "netflix"),
        "related_ko": (
            "드라마", "오징어게임", "시즌", "정주행", "구독", "요금제", "오리지널", "예능", "배우",
            "공개", "추천", "자막", "더글로리", "다큐",
        ),
        "related_en": (
            "series", "season", "episode", "binge", "subscription", "price", "show", "watching",
            "trailer", "documentary", "Squid Game", "Stranger Things", "Wednesday", "password",
        ),
        "predicates_ko": ("재밌다", "정주행했다", "추천해요", "공개됐다", "올랐다", "비싸다"),
        "predicates_en": (
            "just dropped a new season", "raised prices again", "is my whole weekend",
            "has nothing good this month", "finale was insane", "cancelled my favorite show",
        ),
        "hashtags": ("Netflix", "넷플릭스", "NetflixKorea", "SquidGame", "오징어게임"),
        "domains": ("www.netflix.com", "about.netflix.com", "www.hollywoodreporter.com"),
    },
    "iphone": {
        "names_ko": ("아이폰",),
        "names_en": ("iPhone", "iphone"),
        "related_ko": (
            "애플", "갤럭시", "출시", "사전예약", "카메라", "배터리", "신형", "프로", "충전기",
            "업데이트", "케이스", "액정", "애플워치", "에어팟",
        ),
        "related_en": (
            "Apple", "Pro", "Max", "camera", "battery", "iOS", "launch", "preorder", "Samsung",
            "Galaxy", "upgrade", "charger", "design", "AirPods",
        ),
        "predicates_ko": ("샀다", "출시됐다", "비싸다", "갖고싶다", "바꿨다", "좋다"),
        "predicates_en": (
            "battery is dying already", "launch event is today", "camera is unreal",
            "price is ridiculous", "finally arrived", "update broke my phone",
        ),
        "hashtags": ("iPhone15", "Apple", "아이폰15", "iOS17", "애플"),
        "domains": ("www.apple.com", "www.theverge.com", "www.macrumors.com", "www.etnews.com"),
    },
    "bitcoin": {
        "names_ko": ("비트코인", "bitcoin"),
        "names_en": ("bitcoin", "Bitcoin", "BTC"),
        "related_ko": (
            "코인", "가상화폐", "이더리움", "업비트", "시세", "폭락", "폭등", "상승", "하락",
            "거래소", "채굴", "반감기", "투자", "김치프리미엄",
        ),
        "related_en": (
            "crypto", "ETH", "price", "market", "halving", "ETF", "hodl", "mining", "exchange",
            "bull", "bear", "whales", "blockchain", "moon",
        ),
        "predicates_ko": ("올랐다", "떨어졌다", "폭락했다", "미쳤다", "무섭다", "사야하나"),
        "predicates_en": (
            "just hit a new high", "is crashing hard", "to the moon", "ETF news is huge",
            "is the future", "wiped out my savings",
        ),
        "hashtags": ("Bitcoin", "BTC", "crypto", "비트코인", "HODL"),
        "domains": ("www.coindesk.com", "upbit.com", "www.bloomberg.com", "www.hankyung.com"),
    },
}

DEFAULT_KEYWORDS: tuple[str, ...] = (
    "코로나", "BTS", "넷플릭스", "covid", "Netflix", "아이폰", "bitcoin",
)

# ---- places, profiles, devices -----------------------------------------------------------------
# Country names by code, as X's place objects spell them.
COUNTRIES: dict[str, str] = {
    "KR": "Republic of Korea", "US": "United States", "GB": "United Kingdom", "CA": "Canada",
    "AU": "Australia", "PH": "Republic of the Philippines", "SG": "Singapore", "JP": "Japan",
}
# (name, full_name, country_code, bbox [w, s, e, n], language the place mostly tweets in)
PLACES: tuple[tuple[str, str, str, tuple[float, float, float, float], str], ...] = (
    ("Seoul", "Seoul, Republic of Korea", "KR", (126.76, 37.41, 127.18, 37.70), "ko"),
    ("Busan", "Busan, Republic of Korea", "KR", (128.76, 34.88, 129.31, 35.39), "ko"),
    ("Incheon", "Incheon, Republic of Korea", "KR", (126.37, 37.35, 126.79, 37.60), "ko"),
    ("Daegu", "Daegu, Republic of Korea", "KR", (128.35, 35.61, 128.77, 36.02), "ko"),
    ("Daejeon", "Daejeon, Republic of Korea", "KR", (127.25, 36.18, 127.56, 36.50), "ko"),
    ("Gwangju", "Gwangju, Republic of Korea", "KR", (126.65, 35.05, 127.02, 35.26), "ko"),
    ("Jeju", "Jeju, Republic of Korea", "KR", (126.14, 33.19, 126.97, 33.57), "ko"),
    ("Suwon", "Suwon-si, Republic of Korea", "KR", (126.93, 37.23, 127.08, 37.33), "ko"),
    ("New York", "Manhattan, NY", "US", (-74.03, 40.68, -73.91, 40.88), "en"),
    ("Los Angeles", "Los Angeles, CA", "US", (-118.67, 33.70, -118.16, 34.34), "en"),
    ("Chicago", "Chicago, IL", "US", (-87.94, 41.64, -87.52, 42.02), "en"),
    ("London", "London, England", "GB", (-0.51, 51.29, 0.33, 51.69), "en"),
    ("Toronto", "Toronto, Ontario", "CA", (-79.64, 43.58, -79.12, 43.86), "en"),
    ("Sydney", "Sydney, New South Wales", "AU", (150.52, -34.12, 151.34, -33.58), "en"),
    ("Manila", "Manila, National Capital Region", "PH", (120.94, 14.55, 121.03, 14.63), "en"),
    ("Singapore", "Singapore", "SG", (103.60, 1.21, 104.04, 1.47), "en"),
    ("Tokyo", "Tokyo, Japan", "JP", (139.56, 35.53, 139.92, 35.82), "en"),
)

KO_LOCATIONS: tuple[str, ...] = (
    "서울", "대한민국", "Seoul, Korea", "서울특별시", "부산", "경기도 수원시", "인천", "대구",
    "Republic of Korea", "광주", "대전", "제주도", "성남 분당", "어딘가", "지구", "방탄 옆", "🏠",
    "부산광역시", "Busan", "서울 강남구",
)
EN_LOCATIONS: tuple[str, ...] = (
    "United States", "New York, NY", "Los Angeles, CA", "London, England", "California, USA",
    "Philippines", "Toronto, Ontario", "Texas, USA", "Chicago, IL", "Manila", "Jakarta, Indonesia",
    "Sydney, Australia", "earth", "she/her", "Florida", "Singapore", "Tokyo", "Paris, France",
)

# (source label, weight for Korean-speaking users, weight for English-speaking users)
DEVICES: tuple[tuple[str, float, float], ...] = (
    ("Twitter for iPhone", 46.0, 48.0),
    ("Twitter for Android", 44.0, 30.0),
    ("Twitter Web App", 9.0, 18.0),
    ("TweetDeck Web App", 0.5, 2.0),
    ("Twitter for iPad", 0.5, 2.0),
)

KO_SURNAMES: tuple[str, ...] = tuple("김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황".split())
KO_GIVEN: tuple[str, ...] = tuple(
    "민준 서연 지우 하은 도윤 서준 지민 수아 예준 하준 지호 윤서 민서 채원 지유 현우 수빈 은지"
    " 유진 다은 태윤 시우 서윤 주원 하린".split()
)
EN_FIRST: tuple[str, ...] = tuple(
    "Emily James Olivia Liam Sophia Noah Ava Mason Mia Lucas Chloe Ethan Grace Jack Zoe Ryan"
    " Hannah Daniel Lily Nathan Maria Carlos Aisha Kevin".split()
)
EN_LAST: tuple[str, ...] = tuple(
    "Smith Johnson Lee Brown Garcia Miller Davis Wilson Taylor Clark Lewis Walker Young King"
    " Wright Lopez Hill Scott Green Adams Reyes Cruz".split()
)
HANDLE_WORDS: tuple[str, ...] = tuple(
    "daily life seoul kpop army music news film coffee tech crypto sky moon star happy sunny"
    " blue night dream minji jimin jay lee kim park choi real the its official fan world".split()
)
# fmt: on
