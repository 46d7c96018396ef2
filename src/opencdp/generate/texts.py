"""Free text in English, Thai and Japanese: ticket messages, survey comments, social posts.

Templates name products and orders, and some carry personal data inside the text (a phone
number in a ticket), as real free text does — the PII scanner and the masking need it.
"""

from __future__ import annotations

# (subject, body) per language; {product}, {order} and {contact} are filled in.
TICKETS = {
    "en": (
        ("Late delivery", "Hi, my order {order} still hasn't arrived. Can you check? {contact}"),
        ("Refund request", "I returned the {product} last week and want my refund for {order}."),
        ("Damaged item", "The {product} arrived broken. Order {order}. Please send a new one."),
        ("Change of address", "I moved, please update my address. My number is {contact}"),
        ("Cannot log in", "I can't log in to my account, the password reset email never comes."),
        ("Wrong size", "Ordered the {product} ({order}) but got the wrong size."),
    ),
    "th": (
        ("สินค้าส่งช้า", "สวัสดีค่ะ คำสั่งซื้อ {order} ยังไม่ได้รับเลยค่ะ รบกวนตรวจสอบให้ด้วย {contact}"),
        ("ขอคืนเงิน", "ส่ง {product} คืนไปแล้วอาทิตย์ที่แล้ว ขอคืนเงินออเดอร์ {order} ครับ"),
        ("สินค้าชำรุด", "{product} ที่ได้รับแตกเสียหาย ออเดอร์ {order} ขอเปลี่ยนสินค้าใหม่ค่ะ"),
        ("เปลี่ยนที่อยู่", "ย้ายบ้านแล้ว รบกวนเปลี่ยนที่อยู่จัดส่งให้ด้วยครับ โทร {contact}"),
        ("เข้าสู่ระบบไม่ได้", "เข้าสู่ระบบไม่ได้ค่ะ กดลืมรหัสผ่านแล้วไม่มีอีเมลมา"),
        ("ได้รับสินค้าผิดไซซ์", "สั่ง {product} ({order}) แต่ได้ไซซ์ผิดครับ"),
    ),
    "ja": (
        ("配送の遅れ", "注文番号{order}の商品がまだ届いていません。確認をお願いします。{contact}"),
        ("返金のお願い", "先週{product}を返品しました。注文{order}の返金をお願いします。"),
        ("商品の破損", "届いた{product}が壊れていました。注文番号{order}。交換をお願いします。"),
        ("住所変更", "引っ越しましたので住所の変更をお願いします。電話番号は{contact}です。"),
        (
            "ログインできません",
            "アカウントにログインできません。パスワード再設定メールが届きません。",
        ),
        ("サイズ違い", "{product}（注文{order}）を注文しましたが、サイズが違いました。"),
    ),
}

# survey comments by sentiment: 0 negative (NPS 0-6), 1 passive (7-8), 2 promoter (9-10)
SURVEY_COMMENTS = {
    "en": (
        (
            "Delivery took far too long.",
            "Customer service never answered my email.",
            "The {product} broke after a week.",
        ),
        (
            "Fine, but shipping could be faster.",
            "Good products, the app is a bit slow.",
            "OK overall.",
        ),
        (
            "Love the {product}!",
            "Fast delivery and friendly staff.",
            "Great prices, will buy again.",
        ),
    ),
    "th": (
        ("ส่งของช้ามาก", "ติดต่อฝ่ายบริการลูกค้าไม่ได้เลย", "{product} เสียหลังใช้ได้อาทิตย์เดียว"),
        ("โอเค แต่อยากให้ส่งเร็วกว่านี้", "สินค้าดี แต่แอปช้าไปหน่อย", "โดยรวมก็ดีค่ะ"),
        ("ชอบ {product} มากค่ะ", "ส่งไว พนักงานบริการดีมาก", "ราคาดี จะกลับมาซื้ออีกแน่นอน"),
    ),
    "ja": (
        (
            "配送がとても遅かったです。",
            "問い合わせに返事がありませんでした。",
            "{product}が一週間で壊れました。",
        ),
        (
            "普通です。配送がもう少し早ければ。",
            "商品は良いがアプリが少し重い。",
            "全体的にまあまあです。",
        ),
        (
            "{product}がとても気に入りました！",
            "配送が早く、対応も丁寧でした。",
            "価格も良く、また買いたいです。",
        ),
    ),
}

SOCIAL_POSTS = {
    "en": (
        "Just got my {product} from @shop, love it!",
        "@shop where is my order??",
        "Anyone tried the {product}? Thinking of buying",
        "Great service from @shop today",
        "@shop your app keeps crashing",
    ),
    "th": (
        "เพิ่งได้ {product} จาก @shop ชอบมาก",
        "@shop ของยังไม่มาส่งเลยค่ะ",
        "ใครเคยใช้ {product} บ้าง น่าซื้อไหม",
        "วันนี้ @shop บริการดีมาก",
        "@shop แอปเด้งออกตลอดเลย",
    ),
    "ja": (
        "@shop で{product}買いました！最高",
        "@shop 注文した商品がまだ届かない…",
        "{product}使ってる人いますか？",
        "今日の@shop の対応とても良かった",
        "@shop アプリが落ちまくる",
    ),
}

SEARCH_QUERIES = {
    "en": ("rice cooker", "yoga mat", "earbuds", "green tea", "running shoes"),
    "th": ("หม้อหุงข้าว", "เสื่อโยคะ", "หูฟังไร้สาย", "ชาเขียว", "รองเท้าวิ่ง"),
    "ja": ("炊飯器", "ヨガマット", "ワイヤレスイヤホン", "抹茶", "ランニングシューズ"),
}
