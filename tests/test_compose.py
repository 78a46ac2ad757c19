"""Laying out an FAQ answer so that the asked fact comes first, in the entry's own words."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.compose import excerpt, focused, lead, states_fact
from bot.questions import FactKind


def weigh(tokens: Sequence[str]) -> dict[str, float]:
    return {t: 1.0 for t in tokens}


TOP_UP = (
    "Bạn có thể nạp tiền điện thoại ngay trên ứng dụng ngân hàng:\n"
    "1. Mở ứng dụng, chọn mục nạp tiền điện thoại.\n"
    "2. Nhập số điện thoại cần nạp, chọn mệnh giá.\n"
    "Có mất phí hay không là tùy từng ngân hàng; bạn xem biểu phí của ngân hàng."
)

RESIDENCE = (
    "Khi ở nơi khác từ 30 ngày trở lên thì phải đăng ký tạm trú.\n"
    "Cách làm: khai trên ứng dụng, rồi đến công an xã nếu được hẹn.\n"
    "Thời hạn giải quyết: trong 03 ngày làm việc kể từ ngày nhận đủ hồ sơ."
)

CERTIFICATE = (
    "Bạn xin giấy trên Cổng Dịch vụ công, khai mục đích sử dụng.\n"
    "Kết quả trả theo thời hạn của thủ tục.\n"
    "Giấy có giá trị đến khi hoàn cảnh thay đổi hoặc 6 tháng kể từ ngày cấp."
)


def test_a_yes_no_question_on_a_side_point_opens_with_that_point() -> None:
    answer = focused(
        TOP_UP, "nạp tiền điện thoại bằng app ngân hàng có mất phí không", weigh, "yes_no"
    )
    assert answer.startswith("Có mất phí hay không là tùy từng ngân hàng")
    assert TOP_UP in answer  # the whole entry follows


def test_a_yes_no_question_the_entry_opens_with_is_left_as_it_is() -> None:
    assert (
        lead(TOP_UP, "nạp tiền điện thoại trên ứng dụng ngân hàng được không", weigh, "yes_no")
        is None
    )


def test_a_lead_is_its_whole_paragraph_so_an_exception_keeps_its_rule() -> None:
    entry = (
        "Bạn nộp yêu cầu trên dichvucong.gov.vn.\n"
        "Thời hạn cấp phiếu: không quá 10 ngày kể từ ngày nhận yêu cầu hợp lệ. Nếu phải xác "
        "minh thì không quá 15 ngày."
    )
    first = lead(
        entry, "cấp phiếu mất bao nhiêu ngày, nếu phải xác minh thì sao", weigh, "duration"
    )
    assert first is not None and first.startswith("Thời hạn cấp phiếu: không quá 10 ngày")
    assert first.endswith("không quá 15 ngày.")


def test_a_cost_question_opens_with_where_the_fee_is_shown_not_with_the_steps() -> None:
    entry = (
        "Bạn có thể yêu cầu cấp Phiếu lý lịch tư pháp trực tuyến:\n"
        "- Trên ứng dụng VNeID: vào Thủ tục hành chính, chọn cấp phiếu lý lịch tư pháp.\n"
        "- Hoặc trên Cổng Dịch vụ công quốc gia.\n"
        "Phí: số tiền hiện khi bạn nộp hồ sơ; một số người được miễn hoặc giảm."
    )
    first = lead(entry, "làm lý lịch tư pháp mất bao nhiêu tiền", weigh, "money")
    assert first is not None and first.startswith("Phí: số tiền hiện khi bạn nộp hồ sơ")
    # No sentence on the fee: the steps stay as they are.
    steps = entry.rsplit("\n", 1)[0]
    assert lead(steps, "làm lý lịch tư pháp mất bao nhiêu tiền", weigh, "money") is None


@pytest.mark.parametrize(
    ("entry", "question", "agency"),
    [
        (  # "Báo cáo" is a report, not a newspaper
            "Theo Kế hoạch:\n"
            "- Báo cáo hằng tháng: gửi trước ngày 15 hằng tháng.\n"
            "Các cơ quan gửi báo cáo về Sở Văn hóa, Thể thao và Du lịch để tổng hợp.",
            "báo cáo hằng tháng gửi về cơ quan nào",
            "Sở Văn hóa, Thể thao và Du lịch",
        ),
        (  # "Báo càng sớm" is to report; the police in lower case are an agency
            "Báo càng sớm càng dễ ngăn chặn.\n"
            "1. Khẩn cấp: gọi 113.\n"
            "2. Bị lừa mất tiền: đến trình báo tại công an cấp xã nơi cư trú, mang theo chứng cứ.",
            "bị lừa đảo qua mạng thì báo cho cơ quan nào",
            "công an cấp xã",
        ),
        (  # a company or the post office is who runs a platform
            "Không trả tiền cho người lạ hứa đưa hàng lên sàn. Khi cần, hỏi Ủy ban nhân dân xã.\n"
            "1. Chụp ảnh rõ sản phẩm.\n"
            "2. Bưu điện Việt Nam có sàn Postmart.vn dành cho nông sản.",
            "sàn postmart bán nông sản là của đơn vị nào",
            "Bưu điện Việt Nam",
        ),
    ],
)
def test_the_agency_asked_for_comes_first(entry: str, question: str, agency: str) -> None:
    first = lead(entry, question, weigh, "who")
    assert first is not None and agency in first


def test_a_list_item_led_is_introduced_by_its_list_not_by_an_item_ending_in_a_colon() -> None:
    entry = (
        "Người dân được hỗ trợ về:\n"
        "1. Dịch vụ công trực tuyến: đăng nhập, nộp hồ sơ trên dichvucong.gov.vn.\n"
        "2. Tổ công nghệ số cộng đồng ở thôn, bản hướng dẫn cài ứng dụng."
    )
    first = lead(entry, "ở thôn bản ai hướng dẫn cài ứng dụng", weigh, "who")
    assert first == (
        "Người dân được hỗ trợ về: tổ công nghệ số cộng đồng ở thôn, bản hướng dẫn cài ứng dụng."
    )


@pytest.mark.parametrize(
    ("entry", "question", "kind", "fact"),
    [
        pytest.param(
            "Bạn có thể nộp thuế tại nhà, không cần đến cơ quan thuế, bằng một trong các cách:\n"
            "1. Ứng dụng eTax Mobile: chọn khoản cần nộp và xác nhận.\n"
            "2. Cổng Dịch vụ công quốc gia dichvucong.gov.vn, phần thanh toán trực tuyến.",
            "nộp thuế online thì vào trang web nào",
            "where",
            "dichvucong.gov.vn",
            id="a website asked for leads even among sentences that say where",
        ),
        pytest.param(
            "Hệ thống của tỉnh tiếp nhận và xử lý hồ sơ của các cơ quan, xã, phường.\n"
            "Toàn bộ dịch vụ công trực tuyến của tỉnh tập trung trên Cổng quốc gia. Vì vậy "
            "bạn cần nhớ dichvucong.gov.vn.\n"
            "Nếu được giới thiệu một trang khác, hãy hỏi Trung tâm phục vụ hành chính công của "
            "xã để biết đúng địa chỉ chính thức. Trang của cơ quan nhà nước có đuôi .gov.vn.",
            "Địa chỉ trang dịch vụ công của tỉnh Lai Châu là gì?",
            "where",
            "dichvucong.gov.vn",
            id="'địa chỉ trang' asks for a web address, not for the sentence sharing most words",
        ),
        pytest.param(
            "Theo Luật Căn cước năm 2023:\n"
            "- Bị mất thẻ căn cước: làm thủ tục cấp lại.\n"
            "- Đến tuổi đổi thẻ: công dân phải cấp đổi thẻ căn cước khi đủ 14 tuổi, 25 tuổi.\n"
            "\n"
            "Cách làm: bạn đến cơ quan quản lý căn cước của công an để được thu nhận thông tin.",
            "cccd gắn chíp bị mất thì làm lại ở đâu",
            "where",
            "cơ quan quản lý căn cước",
            id="'đến tuổi' is an age, not a place",
        ),
        pytest.param(
            "Các mốc của phong trào:\n"
            "1. Tháng 11/2024: phong trào được đề xuất.\n"
            "2. Ngày 26/3/2025: Thủ tướng phát động phong trào tại Hà Nội.\n"
            "3. Từ ngày 1/4/2025: nền tảng học tập được dùng trên toàn quốc.",
            "phong trào được Thủ tướng phát động từ ngày nào",
            "time",
            "26/3/2025",
            id="the words that ask for a date do not choose the date",
        ),
        pytest.param(
            "Theo quy định của xã về hỗ trợ giống cây:\n"
            "- Hồ sơ nộp tại bộ phận một cửa của UBND xã.\n"
            "- Trong 10 ngày kể từ ngày gieo trồng, hộ gia đình báo diện tích cho trưởng bản.",
            "gieo trồng xong thì trong mấy ngày phải báo",
            "duration",
            "10 ngày",
            id="a deadline written 'Trong 10 ngày kể từ' answers 'trong mấy ngày'",
        ),
        pytest.param(
            RESIDENCE,
            "mat bao lau thi duoc duyet vay",
            "duration",
            "03 ngày làm việc",
            id="a time question whose words no sentence shares leads with the time limit",
        ),
        pytest.param(
            RESIDENCE,
            "mất mấy ngày, có phải lên công an xã không",
            "duration",
            "03 ngày làm việc",
            # "công an xã" of the second part is in the steps, not in the time limit.
            id="a two-part message is led by the part that asks the time",
        ),
        pytest.param(
            CERTIFICATE,
            "giấy đấy dùng được bao lâu",
            "duration",
            "6 tháng kể từ ngày cấp",
            id="how long a paper is valid leads with its validity",
        ),
        pytest.param(
            "Từ ngày 09/01/2025, đăng ký kết hôn trong nước không phải nộp giấy này nữa.\n"
            + CERTIFICATE,
            "giấy đó dùng được trong bao nhiêu tháng",
            "number",
            "6 tháng kể từ ngày cấp",
            id="'dùng được trong bao nhiêu tháng' asks the validity, not any other number",
        ),
        pytest.param(
            "Theo Luật Hộ tịch năm 2014:\n"
            "- Trong 15 ngày kể từ ngày có người chết, người thân đi đăng ký khai tử.\n"
            "- Nơi giải quyết: UBND cấp xã nơi người chết cư trú cuối cùng.\n"
            "Làm trực tuyến: trên dichvucong.gov.vn, chọn thủ tục liên thông khai tử.",
            "bố tôi mất ở bệnh viện dưới Hà Nội thì khai tử ở đâu",
            "where",
            "UBND cấp xã nơi người chết cư trú cuối cùng",
            id="a 'Nơi giải quyết:' label opening a list item names the place",
        ),
        pytest.param(
            "Thời hạn giải quyết: bạn nhận giấy khai sinh ngay trong ngày nộp đủ giấy tờ cho xã.\n"
            "Với hồ sơ nộp trực tuyến, bạn theo dõi kết quả trên cổng dịch vụ công.\n"
            "Lệ phí: đăng ký khai sinh đúng hạn được miễn lệ phí.",
            "có mất phí không hay miễn phí vậy bạn",
            "money",
            "miễn lệ phí",
            # "bạn" names no topic, though every sentence that speaks to the reader has it.
            id="a fee asked both ways, 'bạn' and all, leads with the fee",
        ),
    ],
)
def test_the_sentence_holding_the_asked_fact_leads(
    entry: str, question: str, kind: FactKind, fact: str
) -> None:
    first = lead(entry, question, weigh, kind)
    assert first is not None and fact in first


@pytest.mark.parametrize(
    ("entry", "question", "kind"),
    [
        pytest.param(
            RESIDENCE,
            "tai o dau",
            "where",
            id="a where question is not led by a sentence that merely names a place",
        ),
        pytest.param(
            CERTIFICATE,
            "mấy ngày thì có giấy",
            "duration",
            id="a paper's validity is no answer to how soon it is issued",
        ),
        pytest.param(
            "Bạn có thể bán hàng qua mạng theo các bước:\n"
            "1. Chụp ảnh sản phẩm rõ ràng, ghi giá và cách giao hàng.\n"
            "2. Đăng lên trang cá nhân hoặc sàn thương mại điện tử.\n"
            "Không chuyển tiền cho người lạ hứa bao tiêu sản phẩm.",
            "bán măng khô trên mạng có cần giấy phép không",
            "yes_no",
            id="'Không chuyển tiền' starts like a no but speaks of something else",
        ),
        pytest.param(
            "Cách xem Sổ sức khỏe điện tử:\n"
            "1. Mở ứng dụng VNeID, đăng nhập bằng tài khoản định danh điện tử mức 2.\n"
            "2. Tìm và chọn mục Sổ sức khỏe điện tử.\n"
            "Bạn có thể nhờ Tổ công nghệ số cộng đồng ở thôn, bản hướng dẫn thêm.",
            "sổ sức khỏe điện tử xem ở đâu trong VNeID",
            "where",
            id="'ở thôn, bản' looks like a place but says nothing on where the health book is",
        ),
    ],
)
def test_no_sentence_leads_when_none_holds_the_asked_fact(
    entry: str, question: str, kind: FactKind
) -> None:
    assert lead(entry, question, weigh, kind) is None


def test_a_documents_date_is_the_one_given_beside_its_number() -> None:
    # Both later sentences name decision 12/QĐ-UBND; only the last dates it. The first one
    # shares more words with the question ("ban hành") but dates another document.
    entry = (
        "Các văn bản của huyện về chợ phiên:\n"
        "UBND huyện ban hành Kế hoạch số 40/KH-UBND ngày 3/6/2025 thực hiện "
        "Quyết định 12/QĐ-UBND.\n"
        "- Quyết định số 12/QĐ-UBND ngày 15/2/2025: quy định thu phí chợ phiên qua mã QR."
    )
    first = lead(entry, "quyết định 12/QĐ-UBND ban hành ngày nào", weigh, "time")
    assert first is not None and "15/2/2025" in first
    assert "3/6/2025" not in first


def test_den_khi_is_a_time_not_the_place_a_where_question_asks_for() -> None:
    # The opening matches the question best, but "đến khi" says until when, not where.
    entry = (
        "Giấy xác nhận hoàn cảnh gia đình có giá trị đến khi hoàn cảnh thay đổi.\n"
        "Đơn xin giấy xác nhận nộp tại bộ phận một cửa của xã."
    )
    first = lead(entry, "giấy xác nhận hoàn cảnh gia đình xin ở đâu", weigh, "where")
    assert first == "Đơn xin giấy xác nhận nộp tại bộ phận một cửa của xã."


def test_a_line_labelled_with_the_place_answers_where_before_a_sentence_sharing_more_words() -> (
    None
):
    entry = (
        "Thời hạn: trong 07 ngày làm việc kể từ ngày nhận đủ hồ sơ.\n"
        "Nơi làm: cơ quan quản lý căn cước của công an nơi bạn cư trú.\n"
        "Làm tại nhà: người già yếu có thể được làm thủ tục tại chỗ ở của mình."
    )
    first = lead(entry, "muốn làm căn cước thì đến chỗ nào làm", weigh, "where")
    assert first is not None and first.startswith("Nơi làm:")


def test_a_deadline_answers_within_how_many_days_and_a_processing_time_how_long() -> None:
    entry = (
        "Theo quy định, trong 30 ngày kể từ ngày chuyển đến, chủ hộ đi đăng ký.\n"
        "Nơi nộp: công an cấp xã.\n"
        "Việc đăng ký được giải quyết xong sau 5 ngày làm việc kể từ khi nhận đủ hồ sơ."
    )
    how_long = lead(entry, "đăng ký chỗ ở mới mất bao lâu", weigh, "duration")
    assert how_long is not None and "5 ngày làm việc" in how_long
    # The opening states the deadline asked for, so it stays first.
    assert lead(entry, "chuyển đến thì trong vòng mấy ngày phải đăng ký", weigh, "duration") is None


def test_a_deadline_asked_in_teencode_leads_with_it() -> None:
    entry = (
        "Bạn có thể đăng ký trực tuyến hoặc tại UBND xã.\n"
        "Theo luật, trong 15 ngày kể từ ngày có người chết, người thân phải đi đăng ký."
    )
    first = lead(entry, "nhà có ng mất thì trong bn ngày phải đi khai tử", weigh, "duration")
    assert first is not None and "trong 15 ngày" in first


def test_a_bare_cost_follow_up_leads_with_the_fee_though_it_names_no_topic() -> None:
    entry = (
        "Thời hạn giải quyết: UBND xã cấp giấy ngay trong ngày tiếp nhận.\n"
        "Lệ phí:\n"
        "- Đăng ký đúng hạn được miễn lệ phí.\n"
        "- Đăng ký quá hạn có thể phải nộp lệ phí theo mức của tỉnh."
    )
    first = lead(entry, "Thế có mất tiền không?", weigh, "money")
    assert first is not None and first == "Lệ phí: đăng ký đúng hạn được miễn lệ phí."


def test_a_menu_named_differently_by_each_bank_is_no_answer_to_a_fee() -> None:
    entry = (
        "1. Mở ứng dụng, tìm mục mã QR nhận tiền (tên mục có thể khác tùy ngân hàng).\n"
        "2. Lưu ảnh mã QR để dán tại quầy.\n"
        "Phí: lấy mã QR và nhận tiền chuyển đến thường không mất phí."
    )
    first = lead(entry, "thế có mất phí không", weigh, "money")
    assert first is not None and first.startswith("Phí: lấy mã QR")


def test_a_shortened_focused_answer_says_its_lead_once() -> None:
    # One part of a two-part answer is cut to a few sentences; the lead, which the focused
    # answer says first and again in its place, was chosen twice.
    question = "mat bao lau thi duoc duyet vay"
    answer = focused(RESIDENCE, question, weigh, "duration")
    assert answer.startswith("Thời hạn giải quyết")
    short = excerpt(answer, question, weigh, "duration", limit=160)
    lines = short.splitlines()
    assert len(lines) == len(set(lines))
    assert any(line.startswith("Thời hạn giải quyết") for line in lines)


def test_a_shortened_answer_keeps_the_steps_before_a_chosen_one() -> None:
    steps = (
        "Bạn làm như sau:\n"
        "1. Mở kho ứng dụng: CH Play với máy Android, App Store với iPhone.\n"
        "2. Gõ tìm VNeID.\n"
        "3. Bấm cài đặt VNeID rồi mở ứng dụng VNeID.\n"
        "Lưu ý: chỉ cài từ kho chính thức, không cài qua đường link người khác gửi."
    )
    short = excerpt(steps, "cài đặt vneid", weigh, None, limit=190)
    assert "3. Bấm cài đặt" in short
    # Step 3 alone would read as if two steps were lost; step 1 stays whole past its colon.
    assert "1. Mở kho ứng dụng: CH Play với máy Android, App Store với iPhone." in short
    assert "2. Gõ tìm VNeID." in short


def test_a_phone_number_asked_for_leads_though_its_sentence_shares_no_word() -> None:
    entry = (
        "Đây là thủ đoạn lừa đảo rất phổ biến.\n"
        "Khi gặp cuộc gọi như vậy:\n"
        "1. Tắt máy, không chuyển tiền.\n"
        "2. Báo cho người thân biết, đừng giữ bí mật một mình.\n"
        "3. Đến công an cấp xã nơi cư trú để trình báo. Nếu bị đe dọa khẩn cấp, gọi 113."
    )
    first = lead(entry, "vậy tôi báo cho ai, gọi số điện thoại nào", weigh, "contact")
    # The whole item, without its number: "3." means nothing once it opens the answer.
    assert first == "Đến công an cấp xã nơi cư trú để trình báo. Nếu bị đe dọa khẩn cấp, gọi 113."


_CARD = (
    "Mức đóng tính theo mức lương cơ sở; từ người thứ hai trong hộ được giảm dần. "
    "Thẻ có giá trị sau 30 ngày kể từ ngày đóng."
)
_BIRTH_FEE = (
    "Lệ phí: đăng ký khai sinh đúng hạn (trong 60 ngày kể từ ngày sinh) được miễn lệ phí. "
    "Thời hạn giải quyết: trong ngày."
)
_SHARE = "người thứ ba trong nhà được giảm bao nhiêu phần trăm"
_FINE = "Đăng ký khai sinh quá 60 ngày thì bị phạt bao nhiêu tiền?"


@pytest.mark.parametrize(
    ("sentences", "question", "kind", "states"),
    [
        # A share asked is stated only by a percentage.
        (_CARD, _SHARE, "number", False),
        ("Kinh tế số đạt tối thiểu 30% GDP.", _SHARE, "number", True),
        # A percentage the question only states asks for none: any number answers.
        (_CARD, "lãi 5 phần trăm thì sau bao nhiêu ngày thẻ dùng được", "number", True),
        # The fee of registering on time, waived, says nothing of the fine for being late.
        (_BIRTH_FEE, _FINE, "money", False),
        (_BIRTH_FEE, "đăng ký khai sinh có mất tiền không", "money", True),
        ("Đăng ký quá hạn có thể bị phạt tiền từ 200.000 đồng.", _FINE, "money", True),
        # Checking the amount one typed is no fee; an amount the system shows is.
        (
            "Cách quét mã QR để trả tiền: nhập số tiền (nếu chưa có sẵn), kiểm tra lại số tiền.",
            "quét mã QR trả tiền có mất phí không",
            "money",
            False,
        ),
        (
            "Lệ phí (nếu có): hệ thống hiện số tiền khi bạn nộp hồ sơ.",
            "đăng ký tạm trú mất bao nhiêu tiền",
            "money",
            True,
        ),
    ],
)
def test_a_sentence_states_the_asked_fact_only_in_its_shape(
    sentences: str, question: str, kind: FactKind, states: bool
) -> None:
    assert states_fact(sentences, question, kind) is states


def test_a_count_of_a_unit_asked_is_stated_only_with_that_unit() -> None:
    entry = (
        "Các nguyên tắc an toàn:\n1. Không đọc mã OTP cho ai.\n"
        "2. Passcode là dãy 6 chữ số bạn tự đặt."
    )
    # How long an OTP lasts: a numbered step, or a passcode's six digits, says nothing of it.
    assert states_fact(entry, "mã OTP dùng được trong bao nhiêu phút", "number") is False
    assert states_fact(entry, "ma otp co hieu luc trong may phut", "number") is False
    assert states_fact("Mã OTP có hiệu lực trong 5 phút.", "otp hieu luc may phut", "number")
    assert states_fact(entry, "passcode vneid có mấy chữ số", "number") is True


def test_a_body_named_in_lower_case_answers_whom_to_ask() -> None:
    entry = (
        "Được. Lương hưu có thể nhận qua tài khoản ngân hàng.\n"
        "Cách đăng ký:\n"
        "1. Với lương hưu: liên hệ cơ quan bảo hiểm xã hội nơi bạn đang nhận để được hướng dẫn "
        "chuyển sang nhận qua tài khoản.\n"
        "Ủy ban nhân dân xã không gọi điện đòi bạn chuyển tiền. Gặp yêu cầu như vậy, bạn hỏi "
        "trực tiếp cán bộ xã."
    )
    question = "đang lĩnh lương hưu tiền mặt, muốn chuyển sang nhận vào tài khoản thì hỏi ai"
    first = lead(entry, question, weigh, "who")
    assert first is not None and "cơ quan bảo hiểm xã hội nơi bạn đang nhận" in first
