import numpy as np
import pytest

from genas.data import encode_records, fit_onehot
from genas.errors import InputError
from genas.seq import decode, encode


def test_centre_crop_and_pad():
    x = encode_records(["a", "b", "c"], ["ACGTACGTAC", "GGA", "TTTTT"], 5, "crop_or_pad")
    assert x.shape == (3, 4, 5)
    assert decode(x[0]) == "GTACG"  # (10 - 5) // 2 = 2 cropped on the left
    assert x[1, :, 0].sum() == 0 and decode(x[1, :, 1:4]) == "GGA" and x[1, :, 4].sum() == 0
    assert decode(x[2]) == "TTTTT"


def test_length_errors_name_file_and_record():
    with pytest.raises(InputError) as info:
        encode_records(["ok", "short"], ["ACGT", "AC"], 4, "crop", path="f.fa")
    message = str(info.value)
    assert message.startswith("f.fa: record 'short' is 2 bp, expected 4")
    assert "pad" in message
    with pytest.raises(InputError, match="record 'long' is 6 bp"):
        encode_records(["long"], ["ACGTAC"], 4, "pad", path="f.fa")


def test_invalid_letter_named():
    with pytest.raises(InputError, match=r"record 'r2': invalid letter 'X' at position 3"):
        encode_records(["r1", "r2"], ["ACGT", "ACXT"], 4, path="f.fa")
    with pytest.raises(InputError, match="position 7 .*--invalid-as-n"):  # in the record,
        encode_records(["long"], ["ACGTAAXGTAAC"], 4, "crop")  # not in the cropped window
    with pytest.raises(InputError, match="position 2 "):  # padding comes after the check
        encode_records(["short"], ["AX"], 6, "pad")
    with pytest.raises(InputError, match=r"^f\.fa:12: record 'r2': invalid letter"):
        encode_records(["r1", "r2"], ["ACGT", "ACXT"], 4, path="f.fa", lines=[10, 12])
    with pytest.raises(InputError, match=r"^f\.fa:10: record 'r1' is 3 bp"):
        encode_records(["r1", "r2"], ["ACG", "ACGT"], 4, path="f.fa", lines=[10, 12])
    x = encode_records(["r2"], ["ACXT"], 4, invalid_bases="N")
    np.testing.assert_array_equal(x[0, :, 2], [1, 1, 1, 1])


def test_fit_onehot():
    x = encode(["ACGTAC"])
    assert decode(fit_onehot(x, 4)[0]) == "CGTA"
    padded = fit_onehot(x, 9)
    assert padded.shape == (1, 4, 9) and padded[0, :, 0].sum() == 0
    assert decode(padded[0, :, 1:7]) == "ACGTAC"
    assert fit_onehot(x, 6) is x
