"""Reading a message before searching: the fact it asks for, follow-ups, two-part messages."""

from __future__ import annotations

import unicodedata

import pytest

from bot.questions import (
    asking_clause,
    asks_without_topic,
    contact_subject,
    fact_kind,
    looks_like_follow_up,
    split_parts,
    topic_anchor,
    without_opening,
)
from bot.text import fold, normalize


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Kinh tế số chiếm bao nhiêu phần trăm GDP năm 2030?", "number"),
        ("kinh te so chiem bao nhieu phan tram gdp", "number"),
        ("Đến những tuổi nào thì phải đi đổi thẻ căn cước?", "number"),  # the ages asked
        ("Nghị quyết 57 ban hành ngày nào?", "time"),
        ("bao lau thi co giay khai sinh", "duration"),
        ("lam ly lich tu phap mat bao nhieu tien", "money"),
        ("lltp het bn", "money"),
        ("đăng ký kết hôn lệ phí bao nhiêu", "money"),
        ("Lệ phí đăng ký kết hôn là bao nhiêu?", "money"),  # not a count: "Điều 18" is none
        ("nộp phí xong mất bao nhiêu ngày thì có kết quả", "duration"),  # a fee named, days asked
        ("kích hoạt VNeID có mất tiền không", "money"),
        ("chuyen khoan co bi tru phi ko", "money"),
        # Without its "có" (a bare follow-up), and asked of cash drawn at an ATM; a cash register
        # ("máy tính tiền") is no fee.
        ("mat phi ko", "money"),
        ("rút tiền ở cây ATM có bị mất phí không?", "money"),
        ("có bắt buộc dùng hóa đơn từ máy tính tiền không", "yes_no"),
        # Revenue is an amount of money, not a count: "1." or a decree's number is no answer.
        ("hộ kd doanh thu dưới bn 1 năm thì ko phải nộp thuế", "money"),
        # A loss after a slip, not a fee; a fee asked after one still is.
        ("lỡ nhập mã OTP cho nó rồi thì có mất tiền không", "yes_no"),
        ("bị lừa nạp thẻ rồi, rút tiền về có mất phí không", "money"),
        ("có mất nhiều thời gian không", "yes_no"),
        ("xem được mình đã đóng bao nhiêu tháng không", "number"),
        ("cấp phiếu mất bao nhiêu ngày", "duration"),
        ("ma otp co hieu luc trong may phut", "number"),  # a count of minutes
        ("Cơ quan nào chủ trì kế hoạch tuyên truyền?", "who"),
        ("ai ký nghị quyết 57", "who"),
        ("Trang web học Bình dân học vụ số ở đâu?", "where"),
        ("tổng đài hỗ trợ dịch vụ công số mấy", "contact"),
        ("tin nhắn lừa đảo thì báo về đầu số nào", "contact"),  # no "Sở nào"
        ("Thẻ BHYT tích hợp VNeID được không?", "yes_no"),
        ("học trên binhdanhocvuso có cần đăng ký không ad", "yes_no"),
        ("Hướng dẫn cài VNeID", None),
        # One's own number changed is no number asked for: the fee of the change is.
        ("doi sdt tren vneid co mat phi k ad", "money"),
        ("cho xin số điện thoại công an xã", "contact"),
    ],
)
def test_the_kind_of_fact_a_question_asks_for_is_recognised(question: str, kind: str) -> None:
    assert fact_kind(question) == kind


@pytest.mark.parametrize(
    "message",
    [
        "vậy có mất phí không",
        "thế muốn nhờ họ thì liên hệ kiểu gì",
        "còn người già thì sao",
        "mất bao lâu",
        "Cán bộ xã thì cần làm những việc gì trong kế hoạch đó?",
        "Bố mẹ chưa có tài khoản mức 2 thì sao?",
        "Mẹ chuyển 30 triệu rồi thì giờ làm sao?",  # what now, after what was just told
        "bác lỡ bấm vào cái đường link đấy rồi, có mất tiền không",  # after a warning
        "muon nho ho huong dan thi lien he the nao",  # "họ" typed bare
        "the co mat phi khong",  # all bare: "thế" as likely as "thẻ"
    ],
)
def test_messages_that_lean_on_the_previous_one_are_follow_ups(message: str) -> None:
    assert looks_like_follow_up(message)


@pytest.mark.parametrize(
    "message",
    [
        "Cách kích hoạt tài khoản định danh điện tử mức 2 trên VNeID",
        "Phong trào Bình dân học vụ số do ai phát động?",  # "do ai": by whom, not "that one"
        "chatbot này có trả lời bằng tiếng Mông được không",
        # Says it changes the subject, though it opens with "giờ" and asks about "họ".
        "Giờ tôi hỏi chuyện khác: họ bảo nộp thuế đất online được, làm ở đâu",
        # "hồ sơ", "hỗ trợ", "hộ kinh doanh", "nhận hộ" fold to "ho", which is not "họ".
        "tra cuu ho so dich vu cong tren dien thoai the nao",
        "xã có đường dây nóng hỗ trợ cài đặt ứng dụng VNeID không",
        "hộ kinh doanh có phải dùng hóa đơn điện tử không",
        "nhờ người nhà nhận hộ lương hưu tháng này được không",
        # "Thẻ" is not "thế", nor a bare "vay" (to borrow) "vậy" amid words typed with marks.
        "Thẻ bảo hiểm y tế tích hợp vào VNeID được không?",
        "vay tiền qua ứng dụng điện thoại có an toàn không",
        # "như thế nào" (how) is not "như thế" (like that); "ntn" is written out to it.
        "app ngân hàng giả nhận biết ntn",
    ],
)
def test_a_self_contained_question_is_not_a_follow_up(message: str) -> None:
    assert not looks_like_follow_up(message)


def test_the_topic_of_the_previous_message_leaves_its_question_words_behind() -> None:
    anchor = topic_anchor("Bình dân học vụ số là phong trào gì vậy ad?", "có mất phí không")
    assert anchor.split()[:5] == ["bình", "dân", "học", "vụ", "số"]
    assert "gì" not in anchor and "vậy" not in anchor


def test_a_name_whose_syllable_is_a_stopword_stays_whole_in_the_topic() -> None:
    # "cần" (need) folds to the "căn" of "căn cước", which is half the card's name.
    anchor = topic_anchor("ad ơi lm căn cước cho bé 5 tuổi online đc ko", "có cần chụp ảnh ko")
    assert "căn cước" in anchor


def test_a_follow_up_on_another_year_leaves_the_previous_year_behind() -> None:
    previous = "Nghị quyết 57 đặt mục tiêu gì đến năm 2030?"
    assert "2030" not in topic_anchor(previous, "còn đến năm 2045 thì sao").split()
    # Other numbers name things, and stay: "nó khác gì với nghị quyết 57" after Resolution 71.
    assert "71" in topic_anchor("Nghị quyết 71 là gì?", "nó khác gì với nghị quyết 57").split()


def test_a_bare_word_as_likely_a_topic_as_a_stopword_stays_in_the_topic() -> None:
    # Bare "vay" is "vậy" (so) as often as "vay" (borrow): "báo ai được ạ" after a message on a
    # loan app that threatens the asker must keep the loan.
    previous = "mn ơi e vay app online 3tr giờ nó đòi 8tr, còn dọa gửi ảnh e cho người thân"
    assert "vay" in topic_anchor(previous, "báo ai đc ạ").split()
    assert "vậy" not in topic_anchor("Bình dân học vụ số là gì vậy?", "có mất phí không")


@pytest.mark.parametrize(
    "previous", ["tỉnh Lai Châu có kế hoạch gì", "tinh lai chau co ke hoach gi"]
)
def test_the_provinces_name_stays_whole_in_the_topic(previous: str) -> None:
    # "Lai" folds to "lại" (again), a stopword: the province's name must not lose it.
    anchor = topic_anchor(previous, "cụ thể giao cho cơ quan nào").split()
    assert [fold(w) for w in anchor[1:3]] == ["lai", "chau"]
    assert "lại" not in topic_anchor("đăng nhập lại vneid thế nào", "còn quên mật khẩu").split()


def test_a_name_of_stopwords_stays_whole_even_when_one_of_its_words_is_said_again() -> None:
    # Unaccented "chu ky" folds to two stopwords (chứ, kỹ), and "đăng ký" says "ký" again:
    # the anchor must still name "chữ ký số", or the follow-up lands on VNeID's fee.
    assert topic_anchor("chu ky so la gi", "the dang ky o dau, co mat tien khong") == "chu ky so"


@pytest.mark.parametrize(
    ("previous", "kept"),
    [
        ("làm khai tử cho bố tôi trên mạng được không", "tử"),  # not "từ"
        ("Mã QR của quán tôi in ở đâu?", "mã"),  # not "mà"
        ("Cách cài ứng dụng VNeID trên điện thoại", "cài"),  # not "cái"
        ("Muốn gặp cán bộ xã thì đến đâu?", "cán"),  # not "cần"
    ],
)
def test_a_topic_word_typed_with_its_marks_is_not_taken_for_a_stopword(
    previous: str, kept: str
) -> None:
    assert kept in topic_anchor(previous, "có mất phí không").split()
    # Typed without marks, the same word may be the stopword: it is left out.
    assert fold(kept) not in topic_anchor(fold(previous), "co mat phi khong").split()


def test_a_clause_ending_on_a_bare_sao_asks_a_second_question() -> None:
    assert split_parts(
        "vneid mức 1 với mức 2 khác nhau thế nào, quên mật khẩu thì lấy lại sao"
    ) == [
        "vneid mức 1 với mức 2 khác nhau thế nào",
        "quên mật khẩu thì lấy lại sao",
    ]


def test_dang_ky_and_thuong_tru_typed_without_marks_stay_in_the_topic() -> None:
    # "dang" may be "đang" and "thuong" "thường", but lost they leave "ky tru vo chong":
    # a question on marriage, not on registering a wife's permanent residence.
    anchor = topic_anchor("dang ky thuong tru cho vo ve nha chong", "can giay to gi")
    assert anchor.split()[:4] == ["dang", "ky", "thuong", "tru"]


@pytest.mark.parametrize(
    "message",
    ["mất mấy ngày, có cần ra công an không", "mat bao lau thi co ket qua", "lấy ở đâu ạ"],
)
def test_a_question_of_hardly_more_than_its_asking_words_leans_on_the_previous_one(
    message: str,
) -> None:
    assert asks_without_topic(message)


@pytest.mark.parametrize(
    "message",
    [
        "lệ phí cấp lại thẻ căn cước gắn chip là bao nhiêu",
        "nghị quyết 57 của bộ chính trị ban hành ngày nào",
        "chuyển đổi số là gì",  # asks no fact: a question of its own
    ],
)
def test_a_fact_question_that_names_its_topic_stands_alone(message: str) -> None:
    assert not asks_without_topic(message)


@pytest.mark.parametrize(
    ("message", "whose"),
    [
        ("số tổng đài bảo hiểm xã hội là bao nhiêu", ["bảo", "hiểm", "xã", "hội"]),
        ("so hotline vneid", ["vneid"]),
        ("cái ứng dụng vssid thì tổng đài số mấy", ["vssid"]),
        ("e đổi sdt mới r, tk vneid vẫn để số cũ thì phải làm ntn", None),
        # Of two parts, the one that asks for the number: not VNeID's, the power company's.
        ("cài vneid thế nào, còn tổng đài điện lực số mấy", ["điện", "lực"]),
    ],
)
def test_a_hotline_question_names_whose_number_it_asks(
    message: str, whose: list[str] | None
) -> None:
    assert contact_subject(message) == whose


@pytest.mark.parametrize(
    ("message", "parts"),
    [
        (
            "Thẻ BHYT tích hợp VNeID được không? Đi khám có cần mang thẻ giấy không?",
            ["Thẻ BHYT tích hợp VNeID được không", "Đi khám có cần mang thẻ giấy không?"],
        ),
        (  # "vs lại" is "với lại" in chat
            "mún làm căn cước cho con, vs lại đổi sdt vneid thì làm ở đâu",
            ["mún làm căn cước cho con", "vs lại đổi sdt vneid thì làm ở đâu"],
        ),
        (
            "Mất điện thoại thì VNeID có bị lộ không, và làm sao để khóa tài khoản?",
            ["Mất điện thoại thì VNeID có bị lộ không", "và làm sao để khóa tài khoản?"],
        ),
        (  # typed or dictated without punctuation: cut where a new question begins
            "vneid quen mat khau lay lai the nao voi lai doi so dien thoai thi lam sao",
            ["vneid quen mat khau lay lai the nao", "doi so dien thoai thi lam sao"],
        ),
        (
            "Bình dân học vụ số được phát động khi nào và đối tượng ưu tiên là những ai",
            ["bình dân học vụ số được phát động khi nào", "đối tượng ưu tiên là những ai"],
        ),
        (  # a comma after a clause that ends on a question word
            "Kế hoạch tuyên truyền của tỉnh nhắm tới những ai, làm bằng những cách gì?",
            ["Kế hoạch tuyên truyền của tỉnh nhắm tới những ai", "làm bằng những cách gì?"],
        ),
        ("vssid dung lm j vs cai ntn", ["vssid dung làm gì", "cai như thế nào"]),
        (  # "với nếu": a new case to ask about
            "lam sao biet tin nhan gia mao voi neu lo bam link roi thi bao o dau",
            ["lam sao biet tin nhan gia mao", "neu lo bam link roi thi bao o dau"],
        ),
        (  # "mà nếu", dictated
            "làm căn cước online trả phí bằng gì mà nếu bị từ chối thì có được hoàn tiền không",
            ["làm căn cước online trả phí bằng gì", "nếu bị từ chối thì có được hoàn tiền không"],
        ),
        (  # typed without marks: a comma, then "neu"
            "lam the nao de biet cuoc goi do la cong an that hay gia, neu lo bi lua thi bao ai",
            ["lam the nao de biet cuoc goi do la cong an that hay gia", "neu lo bi lua thi bao ai"],
        ),
        (  # a choice asked ("… hay phải …"), then a comma and another question
            "bình dân học vụ số học online hay phải đến lớp, học xong có cấp chứng chỉ k",
            ["bình dân học vụ số học online hay phải đến lớp", "học xong có cấp chứng chỉ k"],
        ),
        (  # "với cả", dictated
            "bà tôi không có mạng có dùng được vneid không với cả máy cục gạch có cài được không",
            [
                "bà tôi không có mạng có dùng được vneid không",
                "máy cục gạch có cài được không",
            ],
        ),
        (  # "với lại nếu", dictated
            "làm sao biết cuộc gọi là lừa đảo với lại nếu lỡ đọc mã cho nó thì phải làm gì",
            ["làm sao biết cuộc gọi là lừa đảo", "nếu lỡ đọc mã cho nó thì phải làm gì"],
        ),
        (  # dictated and numbered: "một là …, hai là …"
            "một là đăng ký tạm trú online ở đâu hai là mất bao lâu thì có kết quả",
            ["một là đăng ký tạm trú online ở đâu", "mất bao lâu thì có kết quả"],
        ),
        (  # two things to do, asked once
            "cach cai vssid va xem qua trinh dong bhxh cua minh o dau",
            ["cach cai vssid", "xem qua trinh dong bảo hiểm xã hội cua minh o dau"],
        ),
        (
            "muốn chuyển tiền và nạp tiền điện thoại thì làm sao",
            ["muốn chuyển tiền", "nạp tiền điện thoại thì làm sao"],
        ),
        (  # a "how", then "và" and a question of its own
            "lam sao de con khong xem noi dung doc hai tren mang va hoc online thi dung app gi",
            [
                "lam sao de con khong xem noi dung doc hai tren mang",
                "hoc online thi dung ứng dụng gì",
            ],
        ),
        (  # one more question announced: "tiện hỏi luôn", "cho hỏi thêm"
            "làm sao đổi số điện thoại vneid rồi tiện hỏi luôn tách thửa có nộp online được không",
            ["làm sao đổi số điện thoại vneid", "tách thửa có nộp online được không"],
        ),
        (
            "vneid của tôi bị khóa rồi, tiện cho hỏi luôn làm lý lịch tư pháp online được không",
            [
                "vneid của tôi bị khóa rồi",
                "tiện cho hỏi luôn làm lý lịch tư pháp online được không",
            ],
        ),
        (  # what only tells leads into the question after it
            "e bị lừa chuyển 5tr r, e ko bít báo công an ở đâu, có lấy lại đc tiền ko ạ",
            ["e bị lừa chuyển 5tr r, e ko bít báo công an ở đâu", "có lấy lại đc tiền ko ạ"],
        ),
        (  # a question closed by two particles ("v ad")
            "vneid với vssid khác nhau chỗ nào v ad, sv bọn e cần cài cái nào",
            ["vneid với vssid khác nhau chỗ nào v ad", "sv bọn e cần cài cái nào"],
        ),
        (  # a question asked within its clause ("do ai ký"), then "và" and one of its own
            "Nghị quyết 57 do ai ký ban hành và tỉnh Lai Châu đã làm gì để triển khai?",
            ["nghị quyết 57 do ai ký ban hành", "tỉnh lai châu đã làm gì để triển khai"],
        ),
        (  # "còn" unmarked, then a question of its own: no rule word, a question each side
            "cach dat lich kham online o benh vien tinh con app etax mobile de lam gi",
            ["cach dat lich kham online o benh vien tinh", "ứng dụng etax mobile de lam gì"],
        ),
        (  # a full stop, which normalising drops, between two questions
            "Quên mật khẩu VNeID thì làm sao. Đổi số điện thoại ở đâu",
            ["quên mật khẩu vneid thì làm sao", "đổi số điện thoại ở đâu"],
        ),
        (  # "mà" between two questions
            "tổ công nghệ số gồm những ai mà bình dân học vụ số học những gì",
            ["tổ công nghệ số gồm những ai", "bình dân học vụ số học những gì"],
        ),
        (  # "và cách" typed without marks, as with them
            "cach doi mat khau vneid va cach tich hop the bhyt vao",
            ["cach doi mat khau vneid", "va cach tich hop the bhyt vao"],
        ),
    ],
)
def test_a_message_asking_two_things_is_split(message: str, parts: list[str]) -> None:
    assert split_parts(message) == parts


def test_a_message_typed_in_decomposed_unicode_is_split_the_same() -> None:
    # Some phone keyboards send the marks as separate characters (NFD).
    message = "Quên mật khẩu VNeID thì làm sao. Đổi số điện thoại ở đâu"
    assert split_parts(unicodedata.normalize("NFD", message)) == split_parts(message)
    assert len(split_parts(message)) == 2


@pytest.mark.parametrize(
    "message",
    [
        "Cách đăng ký tài khoản VNeID và dịch vụ công là gì?",
        "VNeID mức 1 và mức 2 khác nhau thế nào?",
        "Tôi ở bản Nà Khằm, muốn hỏi cách kích hoạt VNeID",
        "tôi không có điện thoại thông minh, làm VNeID thế nào",
        "nguoi la xin ma so gui ve may voi pass zalo, nhung thu nao thi phai giu kin",
        "con tôi học lớp hai là lớp nào thì được làm căn cước",
        "tôi muốn xem và tải giấy khai sinh ở đâu",
        "làm sao để chuyển tiền và nhận tiền qua app",  # "và" joins two verbs of one ask
        # "chưa có … nào" tells: none yet, it asks nothing.
        "mở tài khoản ngân hàng online được không, mới về nước chưa có tài khoản nào",
        "toi o ban xa, con toi 10 tuoi thi lam vneid o dau",  # "con" unmarked: a child
        "à cho em hỏi luôn, nghị quyết 57 là gì",
        "cho em hỏi thêm cách cài vneid trên điện thoại mới",
        "tôi hay phải đi xa, đổi địa chỉ trên vneid thế nào",  # "hay" as often, no choice
        # Telling clauses before the one question stay with it.
        "Tôi ở Sìn Hồ, con tôi 5 tuổi, làm căn cước ở đâu",
        "Làm căn cước ở đâu, con tôi 5 tuổi",
        # A sentence that only tells, after the question mark, explains the question.
        "Tổng đài hỗ trợ của Cổng dịch vụ công quốc gia là số nào ạ? Tôi đang ở viện chăm bố.",
        # "so với" compares; a "không" that tells is no question before "mà".
        "Tài khoản của tôi mới ở mức 1, như vậy có thiếu gì so với mức 2 không?",
        "tôi không có điện thoại thông minh mà muốn làm vneid thì làm sao",
    ],
)
def test_one_question_with_a_comma_or_and_stays_whole(message: str) -> None:
    assert split_parts(message) == []


@pytest.mark.parametrize(
    ("message", "clause"),
    [
        (
            "nhà em ở bản xa lắm, thôn chưa có sóng, nghị quyết 57 là gì vậy",
            "nghị quyết 57 là gì vậy",
        ),
        ("à mà này, mã OTP là gì, hôm qua nhận được tin nhắn lạ", "mã OTP là gì"),
        ("mã OTP là gì", None),  # one clause: the message itself
        ("OTP là gì, sao ngân hàng cứ gửi về máy", None),  # two clauses ask
        (  # none asks: the one that wants something
            "tôi đi xuất khẩu lao động ở Hàn mới về, muốn đổi số điện thoại trên VNeID",
            "muốn đổi số điện thoại trên VNeID",
        ),
        ("em ở bản xa, muốn hỏi chút", None),  # wanting to ask is no question
    ],
)
def test_the_one_clause_that_asks_is_found_amid_ones_that_only_tell(
    message: str, clause: str | None
) -> None:
    assert asking_clause(message) == clause


@pytest.mark.parametrize(
    ("message", "left"),
    [
        (
            "ad ơi cho e hỏi dk vneid mức 2 thì lm ntn ạ",
            "đăng ký vneid mức 2 thì làm như thế nào ạ",
        ),
        ("Chào ad, cho tôi hỏi hai việc: con tôi 10 tuổi", "con tôi 10 tuổi"),
        ("bác ơi cho cháu hỏi chút, đăng ký sim", "đăng ký sim"),
        # Nothing but the greeting, or "cho" that gives rather than asks leave: kept.
        ("cho hỏi", "cho hỏi"),
        ("app nào cho vay tiền", "ứng dụng nào cho vay tiền"),
        ("chào mừng ngày chuyển đổi số là ngày nào", "chào mừng ngày chuyển đổi số là ngày nào"),
        ("chào, cho hỏi đăng ký kết hôn", "đăng ký kết hôn"),
        # "thủ tục", "nhà" are words of the question, though they fold to "thử", "nha".
        ("Cho tôi hỏi thủ tục đăng ký kết hôn", "thủ tục đăng ký kết hôn"),
        ("cho e hoi thu tuc lam giay khai sinh", "thu tuc lam giay khai sinh"),
        ("cho hỏi nhà tôi ở bản xa thì học ở đâu", "nhà tôi ở bản xa thì học ở đâu"),
        ("cho tôi hỏi thử, VNeID là gì", "vneid là gì"),
    ],
)
def test_the_greeting_and_leave_to_ask_are_left_out(message: str, left: str) -> None:
    assert without_opening(normalize(message)) == left
