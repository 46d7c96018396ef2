"""Hand-made name knowledge Faker lacks: nicknames, Thai romanisations, kanji variants.

These are what make the same person look different across sources (Bill/William,
Somchai/Chai, 斎藤/齋藤), so they are kept small, real and explicit.
"""

from __future__ import annotations

# Given name → nicknames people actually write in forms.
EN_NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy"), "Robert": ("Bob", "Rob", "Bobby"),
    "Richard": ("Rick", "Rich", "Dick"), "James": ("Jim", "Jimmy", "Jamie"),
    "John": ("Jack", "Johnny"), "Michael": ("Mike", "Mick"), "Christopher": ("Chris",),
    "Thomas": ("Tom", "Tommy"), "Daniel": ("Dan", "Danny"), "Matthew": ("Matt",),
    "Joseph": ("Joe", "Joey"), "Anthony": ("Tony",), "Alexander": ("Alex",),
    "Benjamin": ("Ben",), "Samuel": ("Sam",), "Edward": ("Ed", "Ted", "Eddie"),
    "Charles": ("Charlie", "Chuck"), "Nicholas": ("Nick",), "Andrew": ("Andy", "Drew"),
    "Steven": ("Steve",), "Stephen": ("Steve",), "Jonathan": ("Jon",), "David": ("Dave",),
    "Peter": ("Pete",), "Timothy": ("Tim",), "Kenneth": ("Ken",), "Joshua": ("Josh",),
    "Gregory": ("Greg",), "Patrick": ("Pat",), "Raymond": ("Ray",), "Ronald": ("Ron",),
    "Donald": ("Don",), "Gerald": ("Jerry",), "Lawrence": ("Larry",), "Frederick": ("Fred",),
    "Elizabeth": ("Liz", "Beth", "Betty"), "Katherine": ("Kate", "Kathy"),
    "Catherine": ("Cathy", "Kate"), "Margaret": ("Maggie", "Peggy"), "Jennifer": ("Jen",),
    "Patricia": ("Pat", "Patty"), "Susan": ("Sue",), "Deborah": ("Debbie", "Deb"),
    "Jessica": ("Jess",), "Rebecca": ("Becky",), "Victoria": ("Vicky", "Tori"),
    "Kimberly": ("Kim",), "Samantha": ("Sam",), "Abigail": ("Abby",), "Alexandra": ("Alex",),
    "Christine": ("Chris",), "Jacqueline": ("Jackie",), "Stephanie": ("Steph",),
    "Amanda": ("Mandy",), "Barbara": ("Barb",), "Dorothy": ("Dot",), "Pamela": ("Pam",),
    "Melissa": ("Mel",), "Cynthia": ("Cindy",), "Judith": ("Judy",), "Theresa": ("Tess",),
}  # fmt: skip

# Thai given names with their usual romanisation (Faker has Thai script only).
TH_MALE = (
    ("สมชาย", "Somchai"), ("สมศักดิ์", "Somsak"), ("สมพงษ์", "Somphong"), ("สมบัติ", "Sombat"),
    ("ประเสริฐ", "Prasert"), ("วิชัย", "Wichai"), ("สุรชัย", "Surachai"), ("ธนากร", "Thanakorn"),
    ("ณัฐพล", "Nattapon"), ("กิตติ", "Kitti"), ("อนุชา", "Anucha"), ("ชัยวัฒน์", "Chaiwat"),
    ("พงศกร", "Pongsakorn"), ("ศักดิ์ชัย", "Sakchai"), ("วีระ", "Weera"), ("สุริยา", "Suriya"),
    ("ธีรวัฒน์", "Theerawat"), ("ปิยะ", "Piya"), ("เอกชัย", "Ekachai"), ("อภิชาติ", "Aphichat"),
)  # fmt: skip
TH_FEMALE = (
    ("สมศรี", "Somsri"), ("สมหญิง", "Somying"), ("มาลี", "Malee"), ("สุนีย์", "Sunee"),
    ("วันดี", "Wandee"), ("กาญจนา", "Kanchana"), ("ศิริพร", "Siriporn"), ("นภา", "Napa"),
    ("พรทิพย์", "Porntip"), ("อรุณี", "Arunee"), ("ปราณี", "Pranee"), ("สุภาพร", "Supaporn"),
    ("ณัฐธิดา", "Nattida"), ("ปิยะนุช", "Piyanuch"), ("รัตนา", "Rattana"),
    ("อัญชลี", "Anchalee"), ("ธิดารัตน์", "Thidarat"), ("วราภรณ์", "Waraporn"),
    ("พิมพ์ชนก", "Pimchanok"), ("จันทร์เพ็ญ", "Chanpen"),
)  # fmt: skip
TH_LAST = (
    ("ใจดี", "Jaidee"), ("สุขใจ", "Sukjai"), ("ศรีสุข", "Srisuk"), ("วงศ์สวัสดิ์", "Wongsawat"),
    ("แก้วมณี", "Kaewmanee"), ("ทองดี", "Thongdee"), ("บุญมา", "Boonma"),
    ("รุ่งเรือง", "Rungruang"), ("สมบูรณ์", "Somboon"), ("ศรีวงศ์", "Sriwong"),
    ("จันทร์แก้ว", "Chankaew"), ("พงษ์พันธ์", "Pongpan"), ("มีสุข", "Meesuk"),
    ("ชัยมงคล", "Chaimongkol"), ("เพชรรัตน์", "Petcharat"), ("สายทอง", "Saithong"),
    ("อินทร์แก้ว", "Inkaew"), ("บุญเรือง", "Boonruang"), ("ทองคำ", "Thongkham"),
    ("ปัญญาดี", "Panyadee"),
)  # fmt: skip
# Thai nicknames (ชื่อเล่น) are usually unrelated to the given name; most people have one.
TH_NICK_MALE = (
    ("บอล", "Ball"), ("เบียร์", "Beer"), ("ต้น", "Ton"), ("กอล์ฟ", "Golf"), ("บอส", "Boss"),
    ("เก่ง", "Keng"), ("โอ๊ต", "Oat"), ("ตูน", "Toon"), ("เอ็ม", "Em"), ("ปอ", "Por"),
    ("เจ", "Jay"), ("ไผ่", "Phai"), ("เต้", "Tae"), ("ภูมิ", "Poom"),
)  # fmt: skip
TH_NICK_FEMALE = (
    ("นก", "Nok"), ("ปู", "Poo"), ("แอน", "Ann"), ("พลอย", "Ploy"), ("มิ้นท์", "Mint"),
    ("ฝน", "Fon"), ("แนน", "Nan"), ("อ้อม", "Aom"), ("หนิง", "Ning"), ("แพร", "Prae"),
    ("เมย์", "May"), ("ฟ้า", "Fah"), ("ก้อย", "Koi"), ("นุ่น", "Noon"),
)  # fmt: skip
TH_SOM = ("สม", "Som")  # สมชาย → ชาย, Somchai → Chai: the short form of Som- names

# Japanese family names written with old or variant kanji in some systems.
JA_KANJI_VARIANTS: dict[str, tuple[str, ...]] = {
    "斎藤": ("齋藤", "斉藤", "齊藤"), "斉藤": ("斎藤", "齊藤"), "渡辺": ("渡邊", "渡邉"),
    "高橋": ("髙橋",), "山崎": ("山﨑",), "吉田": ("𠮷田",), "長谷川": ("長谷河",),
    "佐々木": ("佐佐木",), "藤原": ("藤源",), "石川": ("石河",), "小林": ("小休",),
}  # fmt: skip

PLACEHOLDER_EMAILS = (
    "test@test.com",
    "noemail@example.com",
    "none@none.com",
    "N/A",
    "-",
    "x@x.com",
)
PLACEHOLDER_PHONES = ("0000000000", "1234567890", "000-000-0000", "N/A", "-", "9999999999")
PLACEHOLDER_NAMES = {
    "en": ("Test", "N/A", "Customer", "Unknown"),
    "th": ("ลูกค้า", "ทดสอบ", "N/A", "-"),
    "ja": ("テスト", "お客様", "N/A", "未設定"),
}

EMAIL_DOMAINS = {
    "en_US": ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com"),
    "en_GB": ("gmail.com", "hotmail.co.uk", "yahoo.co.uk", "outlook.com", "btinternet.com"),
    "th_TH": ("gmail.com", "hotmail.com", "yahoo.co.th", "outlook.co.th", "icloud.com"),
    "ja_JP": ("gmail.com", "yahoo.co.jp", "docomo.ne.jp", "ezweb.ne.jp", "icloud.com"),
}
EMAIL_DOMAIN_TYPOS = {
    "gmail.com": ("gmial.com", "gmail.co", "gmai.com", "gnail.com"),
    "hotmail.com": ("hotmial.com", "hotmail.co", "hotmal.com"),
    "yahoo.com": ("yaho.com", "yahooo.com"), "yahoo.co.jp": ("yahoo.jp", "yaho.co.jp"),
    "outlook.com": ("outlok.com",), "icloud.com": ("iclod.com", "icloud.co"),
}  # fmt: skip
