"""Agreement statistics against published worked examples, hand computation and known truth."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hiprom.validation.stats import Z95, agreement, bland_altman, icc, icc_repeated, mdc95

# Shrout & Fleiss 1979, Table 2: six targets rated by four judges.
SHROUT_FLEISS = np.array([
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
])


def test_shrout_fleiss_worked_example_reproduces_to_two_decimals() -> None:
    r = icc(SHROUT_FLEISS)
    assert round(r.icc_2_1, 2) == 0.29 and round(r.icc_3_1, 2) == 0.71
    # The same table in R psych::ICC: ICC2 CI 0.019-0.76, ICC3 CI 0.342-0.95.
    assert (round(r.ci_2_1.low, 2), round(r.ci_2_1.high, 2)) == (0.02, 0.76)
    assert (round(r.ci_3_1.low, 2), round(r.ci_3_1.high, 2)) == (0.34, 0.95)
    # Shrout & Fleiss's Table 2 mean squares: BMS 11.24, JMS 32.49, EMS 1.02.
    assert (round(r.ms_rows, 2), round(r.ms_cols, 2), round(r.ms_error, 2)) == (11.24, 32.49, 1.02)


def test_bland_altman_matches_a_hand_computation() -> None:
    a = np.array([30.0, 35.0, 40.0, 28.0, 33.0])
    b = np.array([28.0, 34.0, 36.0, 27.0, 30.0])
    # differences 2, 1, 4, 1, 3: mean 2.2, sum of squared deviations 0.04+1.44+3.24+1.44+0.64 = 6.8,
    # sd = sqrt(6.8 / 4) = 1.30384; LoA = 2.2 -+ 1.96 * 1.30384 = -0.3555, 4.7555;
    # t(0.975, 4) = 2.776445; bias CI 2.2 -+ 2.776445 * 1.30384 / sqrt(5) = 0.5811, 3.8189;
    # LoA SE = sqrt(3 * 1.7 / 5) = 1.00995, low-limit CI -0.3555 -+ 2.776445 * 1.00995.
    ba = bland_altman(a, b)
    sd = math.sqrt(6.8 / 4)
    assert ba.n == 5 and ba.bias == pytest.approx(2.2) and ba.sd == pytest.approx(sd)
    assert (ba.loa_low, ba.loa_high) == pytest.approx((2.2 - Z95 * sd, 2.2 + Z95 * sd))
    assert (round(ba.loa_low, 2), round(ba.loa_high, 2)) == (-0.36, 4.76)
    assert (round(ba.bias_ci.low, 2), round(ba.bias_ci.high, 2)) == (0.58, 3.82)
    half = 2.776445 * math.sqrt(3 * 1.7 / 5)
    assert (ba.loa_low_ci.low, ba.loa_low_ci.high) == pytest.approx((ba.loa_low - half, ba.loa_low + half), abs=1e-5)
    # Proportional bias: means 29, 34.5, 38, 27.5, 31.5 against differences 2, 1, 4, 1, 3.
    means = (a + b) / 2
    slope = np.sum((means - means.mean()) * (a - b - 2.2)) / np.sum((means - means.mean()) ** 2)
    assert ba.slope == pytest.approx(slope)


def test_two_readers_sem_and_mdc_follow_from_the_differences() -> None:
    # With two readers and no bias, MSE = var(diff) / 2, so MDC95 = 1.96 sd(diff).
    rng = np.random.default_rng(7)
    truth = rng.uniform(20, 50, 60)
    noise = rng.normal(0, 2, (60, 2))
    result = agreement(truth + noise[:, 0], truth + noise[:, 1])
    sd = result.bland_altman.sd
    assert result.sem_consistency == pytest.approx(sd / math.sqrt(2))
    assert mdc95(result.sem_consistency) == pytest.approx(Z95 * sd)
    assert result.sem >= result.sem_consistency


@pytest.mark.parametrize(
    ("bias", "noise_sd", "seed"),
    [(0.0, 2.0, 1), (3.0, 2.0, 2), (-4.0, 3.0, 3), (5.0, 1.0, 4), (1.5, 4.0, 5)],
)
def test_synthetic_pairs_bias_and_limits_contain_the_truth(bias: float, noise_sd: float, seed: int) -> None:
    """hiprom = truth + bias + N(0, noise); reference = truth + N(0, noise): the difference has sd noise*sqrt(2)."""
    rng = np.random.default_rng(seed)
    n = 80
    truth = rng.uniform(15, 55, n)
    hiprom = truth + bias + rng.normal(0, noise_sd, n)
    reference = truth + rng.normal(0, noise_sd, n)
    ba = agreement(hiprom, reference).bland_altman
    sd_true = noise_sd * math.sqrt(2)
    assert ba.bias_ci.contains(bias)
    assert ba.loa_low_ci.contains(bias - Z95 * sd_true)
    assert ba.loa_high_ci.contains(bias + Z95 * sd_true)


def test_bias_interval_covers_the_truth_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(2026)
    hits = 0
    for _ in range(400):
        truth = rng.uniform(15, 55, 30)
        ba = bland_altman(truth + 2.0 + rng.normal(0, 3, 30), truth + rng.normal(0, 3, 30))
        hits += ba.bias_ci.contains(2.0)
    assert 0.92 <= hits / 400 <= 0.98


def test_proportional_bias_is_found_when_hiprom_reads_large_angles_larger() -> None:
    rng = np.random.default_rng(1)
    truth = rng.uniform(15, 55, 80)
    reference = truth + rng.normal(0, 1.0, 80)
    hiprom = 1.2 * truth + rng.normal(0, 1.0, 80)
    ba = bland_altman(hiprom, reference)
    # difference 0.2 t against mean 1.1 t: slope 0.2 / 1.1 = 0.18
    assert ba.slope_ci.contains(0.2 / 1.1) and ba.slope_p < 0.001


def test_bias_lowers_absolute_agreement_but_not_consistency() -> None:
    rng = np.random.default_rng(11)
    truth = rng.uniform(20, 50, 40)
    noise = rng.normal(0, 1.5, (40, 2))
    fair = agreement(truth + noise[:, 0], truth + noise[:, 1]).icc
    shifted = agreement(truth + noise[:, 0] + 8, truth + noise[:, 1]).icc
    assert shifted.icc_3_1 == pytest.approx(fair.icc_3_1)
    assert shifted.icc_2_1 < fair.icc_2_1 - 0.1


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        (np.ones((2, 2)), "at least 3 targets"),
        (np.ones((5,)), "shape"),
        (np.array([[1.0, np.nan], [2, 3], [4, 5]]), "finite"),
    ],
)
def test_bad_tables_are_refused_with_a_reason(ratings: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        icc(ratings)


def test_readings_that_agree_exactly_give_figures_and_no_interval() -> None:
    """A reference column equal to hiprom's (the same whole degrees) is a result, not a crash."""
    a = np.array([30.0, 35.0, 40.0, 28.0])
    result = agreement(a, a.copy())
    assert result.icc.icc_2_1 == 1.0 and result.icc.icc_3_1 == 1.0
    assert result.bland_altman.bias == 0.0 and result.sem == 0.0
    assert math.isnan(result.icc.ci_2_1.low) and math.isnan(result.icc.ci_3_1.low)
    figs = result.to_dict()
    assert figs["icc_2_1_ci"] == [None, None]
    # no spread: no interval, rather than one of zero width that 4 people cannot support
    assert figs["sem_ci_deg"] == figs["sem_consistency_ci_deg"] == figs["mdc95_ci_deg"] == [None, None]
    assert figs["bias_ci_deg"] == figs["loa_low_ci_deg"] == figs["loa_high_ci_deg"] == [None, None]  # was [0, 0]
    # the same figures twice, as hiprom's own decimals (one recording analysed twice): the ANOVA's round-off
    # left an error mean square of 3e-14 and an ICC interval of [1.00, 1.00]
    again = agreement(np.array([24.39139052, 41.57947306, 33.53653051]), np.array([24.39139052, 41.57947306,
                                                                                   33.53653051]))
    assert again.icc.ms_error == 0.0 and math.isnan(again.icc.ci_3_1.low) and math.isnan(again.sem_consistency_ci.low)
    # four people all read 30 by hiprom and 29 by the goniometer: no ICC, where ICC(2,1) read 0.00
    shifted = agreement(np.full(4, 30.0), np.full(4, 29.0))
    assert math.isnan(shifted.icc.icc_2_1) and math.isnan(shifted.icc.icc_3_1)
    assert shifted.bland_altman.bias == 1.0 and math.isnan(shifted.bland_altman.bias_ci.low)


def test_sem_and_mdc_intervals_match_a_hand_computation_from_a_chi_square_table() -> None:
    """The hand example above: differences 2, 1, 4, 1, 3, so MSE = var(diff) / 2 = 0.85 on 4 df."""
    result = agreement(np.array([30.0, 35.0, 40.0, 28.0, 33.0]), np.array([28.0, 34.0, 36.0, 27.0, 30.0]))
    chi_hi, chi_lo = 11.143, 0.4844  # chi-square table, 4 df: the 0.975 and 0.025 points
    low_e, high_e = 4 * 0.85 / chi_hi, 4 * 0.85 / chi_lo
    assert (result.sem_consistency_ci.low, result.sem_consistency_ci.high) == pytest.approx(
        (math.sqrt(low_e), math.sqrt(high_e)), rel=1e-3)
    # Agreement: SEM^2 = (mean^2 - var/n) / 2 + MSE = (4.84 - 0.34) / 2 + 0.85 = 3.1; the readers' part
    # 2.25 spans the bias's interval (0.5811 to 3.8189, above) squared and halved; MOVER recombines.
    bias_low, bias_high = 0.5811, 3.8189
    low = 3.1 - math.hypot(2.25 - bias_low**2 / 2, 0.85 - low_e)
    high = 3.1 + math.hypot(bias_high**2 / 2 - 2.25, high_e - 0.85)
    assert result.sem**2 == pytest.approx(3.1)
    assert (result.sem_ci.low, result.sem_ci.high) == pytest.approx((math.sqrt(low), math.sqrt(high)), rel=1e-3)
    assert (result.mdc95_ci.low, result.mdc95_ci.high) == pytest.approx(
        (Z95 * math.sqrt(2) * result.sem_ci.low, Z95 * math.sqrt(2) * result.sem_ci.high))
    assert result.mdc95_ci.contains(result.mdc95) and result.sem_ci.contains(result.sem)


def test_sem_intervals_cover_the_true_sem_95_percent_of_the_time() -> None:
    """15 people, hiprom 3 deg high, each reading's error 2 deg: the true SEM is sqrt(3^2/2 + 2^2) with
    the bias, 2 without it. (Treating the two instruments as randomly drawn readers, an interval on
    one degree of freedom, ran to 40 deg and did not narrow with more people.)"""
    rng = np.random.default_rng(2029)
    true_sem, true_consistency = math.sqrt(3.0**2 / 2 + 2.0**2), 2.0
    hits = np.zeros(2)
    for _ in range(300):
        truth = rng.uniform(15, 55, 15)
        result = agreement(truth + 3.0 + rng.normal(0, 2.0, 15), truth + rng.normal(0, 2.0, 15))
        hits += [result.sem_ci.contains(true_sem), result.sem_consistency_ci.contains(true_consistency)]
    assert 0.92 <= hits[0] / 300 <= 0.99 and 0.92 <= hits[1] / 300 <= 0.98


def test_more_people_give_a_narrower_mdc_interval() -> None:
    """Quadrupling the people roughly halves the interval of the MDC95, as for the limits of agreement."""
    rng = np.random.default_rng(30)
    widths = []
    for n in (10, 40, 160):
        truth = rng.uniform(15, 55, n)
        ci = agreement(truth + 2.0 + rng.normal(0, 2.0, n), truth + rng.normal(0, 2.0, n)).mdc95_ci
        widths.append(ci.high - ci.low)
    assert widths[0] > widths[1] > widths[2]
    assert 0.25 < widths[2] / widths[1] < 0.75


# Differences (hiprom - reference) of five people; S4 measured twice and S5 three times at one visit.
REPEATED = {"S1": [1.0], "S2": [2.0], "S3": [3.0], "S4": [0.0, 2.0], "S5": [5.0, 6.0, 7.0]}


def test_repeated_pairs_of_a_person_count_once_as_zou_2013_computes_by_hand() -> None:
    """Three goniometer readings of one visit are one person, not three (Zou 2013; Bland & Altman 1999, 5.2)."""
    subjects = [s for s, ds in REPEATED.items() for _ in ds]
    diff = np.array([d for ds in REPEATED.values() for d in ds])
    b = np.linspace(25.0, 45.0, diff.size)
    ba = bland_altman(b + diff, b, subjects=subjects)
    # subject means 1, 2, 3, 1, 6: bias 2.6 (the 8 pairs alone would say 3.25);
    # between: sum of squares 2.56+0.36+0.16+2.56+11.56 = 17.2 over 4 df = 4.3;
    # within: (1+1) + (1+0+1) = 4 over 8 - 5 = 3 df; 1 - 1/m_h = 1 - (1+1+1+1/2+1/3)/5 = 0.2333;
    # one difference: 4.3 + 0.2333 * 4/3 = 4.6111.
    var_b, var_w, share = 4.3, 4 / 3, 1 - (3 + 1 / 2 + 1 / 3) / 5
    sd = math.sqrt(var_b + share * var_w)
    assert ba.n == 8 and ba.bias == pytest.approx(2.6) and ba.sd == pytest.approx(sd)
    assert (ba.loa_low, ba.loa_high) == pytest.approx((2.6 - Z95 * sd, 2.6 + Z95 * sd))
    half = 2.776445 * math.sqrt(4.3 / 5)  # t(0.975, 4 subjects - 1) and the SE of the mean of 5 subject means
    assert (ba.bias_ci.low, ba.bias_ci.high) == pytest.approx((2.6 - half, 2.6 + half), abs=1e-5)
    # Zou's MOVER: chi-square limits of each variance part (4 and 3 df), then bias and SD recombined.
    from scipy.stats import chi2

    low_var = sd**2 - math.sqrt((var_b * (1 - 4 / chi2.ppf(0.975, 4))) ** 2 + (share * var_w * (1 - 3 / chi2.ppf(0.975, 3))) ** 2)
    high_var = sd**2 + math.sqrt((var_b * (4 / chi2.ppf(0.025, 4) - 1)) ** 2 + (share * var_w * (3 / chi2.ppf(0.025, 3) - 1)) ** 2)
    inner = math.sqrt(half**2 + (Z95 * (sd - math.sqrt(low_var))) ** 2)
    outer = math.sqrt(half**2 + (Z95 * (math.sqrt(high_var) - sd)) ** 2)
    assert (ba.loa_high_ci.low, ba.loa_high_ci.high) == pytest.approx((ba.loa_high - inner, ba.loa_high + outer), abs=1e-5)
    assert (ba.loa_low_ci.low, ba.loa_low_ci.high) == pytest.approx((ba.loa_low - outer, ba.loa_low + inner), abs=1e-5)
    # one pair each: the subjects change nothing
    once = bland_altman(b[:5] + 1 + diff[:5], b[:5], subjects=["a", "b", "c", "d", "e"])
    assert once == bland_altman(b[:5] + 1 + diff[:5], b[:5])


def test_repeated_pairs_bias_interval_covers_the_truth_95_percent_of_the_time() -> None:
    """12 people, 3 readings each, people differing more than readings: counting pairs as people
    gives a bias interval that misses the truth about one time in four."""
    rng = np.random.default_rng(2027)
    subjects = np.repeat(np.arange(12), 3)
    hits = 0
    for _ in range(300):
        diff = 1.0 + np.repeat(rng.normal(0, 2.0, 12), 3) + rng.normal(0, 1.0, 36)
        truth = np.repeat(rng.uniform(15, 55, 12), 3)
        hits += bland_altman(truth + diff, truth, subjects=subjects).bias_ci.contains(1.0)
    assert 0.92 <= hits / 300 <= 0.98


def test_one_pair_a_person_gives_the_icc_sem_and_mdc_of_the_plain_two_way_anova() -> None:
    rng = np.random.default_rng(8)
    truth = rng.uniform(20, 50, 25)
    a, b = truth + 2 + rng.normal(0, 2, 25), truth + rng.normal(0, 2, 25)
    named = agreement(a, b, subjects=[f"P{i}" for i in range(25)])
    assert named == agreement(a, b)
    assert icc_repeated(a, b, np.arange(25)) == icc(np.column_stack([a, b]))


def test_repeated_pairs_give_a_sem_of_people_that_matches_their_limits_of_agreement() -> None:
    """The SEM of two readers is the SD of one difference over sqrt(2); with repeated pairs the ICC's
    ANOVA took the pairs as people and the SEM disagreed with the limits of agreement beside it."""
    subjects = [s for s, ds in REPEATED.items() for _ in ds]
    diff = np.array([d for ds in REPEATED.values() for d in ds])
    b = np.linspace(25.0, 45.0, diff.size)
    result = agreement(b + diff, b, subjects=subjects)
    sd = math.sqrt(4.3 + (1 - (3 + 1 / 2 + 1 / 3) / 5) * 4 / 3)  # the hand computation above
    assert result.sem_consistency == pytest.approx(sd / math.sqrt(2))
    assert result.sem_consistency == pytest.approx(result.bland_altman.sd / math.sqrt(2))
    assert (result.icc.n, result.icc.k) == (5, 2)  # five people, not eight targets


def test_a_person_read_twenty_times_does_not_make_the_mdc_look_better_than_it_is() -> None:
    """Ten people read once, and a colleague practising read 20 times alike: the MDC95 counted the
    colleague as 20 people, 4.5 deg, where the SD of a difference, person by person, makes it 7.1."""
    rng = np.random.default_rng(5)
    diff = np.concatenate([rng.normal(1, 4, 10), 1 + rng.normal(0, 0.3, 20)])
    subjects = [f"P{i}" for i in range(10)] + ["colleague"] * 20
    b = np.concatenate([rng.uniform(20, 50, 10), np.full(20, 35.0)])
    as_pairs, as_people = agreement(b + diff, b), agreement(b + diff, b, subjects=subjects)
    assert round(as_pairs.mdc95, 1) == 4.5 and round(as_people.mdc95, 1) == 7.1
    assert as_people.sem_consistency == pytest.approx(as_people.bland_altman.sd / math.sqrt(2))
    # its interval counts 11 people too, not 30 pairs, and is the wider for it
    assert as_people.mdc95_ci.high - as_people.mdc95_ci.low > 1.5 * (as_pairs.mdc95_ci.high - as_pairs.mdc95_ci.low)
    assert as_people.mdc95_ci.contains(as_people.mdc95)


def test_repeated_pairs_icc_intervals_cover_the_truth_95_percent_of_the_time() -> None:
    """12 people, 3 pairs each (one visit's readings differ little, people a lot): taking the 36 pairs
    as 36 people, the ICC(3,1) interval held the true ICC in about 3 of 4 studies, ICC(2,1) in 4 of 5."""
    rng = np.random.default_rng(2028)
    people, per_person, reps = 12, 3, 300
    group = np.repeat(np.arange(people), per_person)
    sd_person, sd_visit, sd_disagree, sd_reading, sd_reader = 8.0, 1.0, 3.0, 1.0, 2.0
    targets, error = sd_person**2 + sd_visit**2, sd_disagree**2 + sd_reading**2
    true_3 = targets / (targets + error)  # consistency: the readers' constant difference left out
    true_2 = targets / (targets + sd_reader**2 + error)  # absolute agreement: readers drawn at random
    hits = np.zeros(4)
    for _ in range(reps):
        reader = rng.normal(0, sd_reader, 2)
        truth = np.repeat(rng.normal(35, sd_person, people), per_person) + rng.normal(0, sd_visit, group.size)
        disagree = rng.normal(0, sd_disagree, (people, 2))[group]  # how this person's hip reads with each
        a, b = (truth + reader[j] + disagree[:, j] + rng.normal(0, sd_reading, group.size) for j in (0, 1))
        pairs, people_ = icc(np.column_stack([a, b])), icc_repeated(a, b, group)
        hits += [pairs.ci_3_1.contains(true_3), people_.ci_3_1.contains(true_3),
                 pairs.ci_2_1.contains(true_2), people_.ci_2_1.contains(true_2)]
    old_3, new_3, old_2, new_2 = hits / reps
    assert old_3 < 0.85 and old_2 < 0.88
    assert 0.92 <= new_3 <= 0.98 and 0.92 <= new_2 <= 0.98
