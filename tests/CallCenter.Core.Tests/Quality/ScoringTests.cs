using CallCenter.Core.Quality;

namespace CallCenter.Core.Tests.Quality;

public sealed class ScoringTests
{
    private static readonly FormCriterion[] Form =
    [
        new("greeting", "Greets and names the bank", 1, false),
        new("accuracy", "Gives correct information", 3, false),
        new("verification", "Verifies identity before account details", 0, true),
    ];

    private static CriterionAnswer[] Answers(decimal greeting, decimal accuracy, bool verified) =>
        [new("greeting", greeting, null), new("accuracy", accuracy, null), new("verification", null, verified)];

    [Test]
    public void Weights_are_normalised_so_the_total_is_a_weighted_mean_out_of_100()
    {
        var result = Scoring.Total(Form, Answers(greeting: 60, accuracy: 100, verified: true));
        Assert.That(result.Total, Is.EqualTo(90m)); // (1×60 + 3×100) / 4
        Assert.That(result.Grade, Is.EqualTo(ScoreGrade.Excellent));
        Assert.That(result.FatalFailed, Is.False);
    }

    [Test]
    public void Scaling_every_weight_does_not_change_the_total()
    {
        FormCriterion[] scaled = [.. Form.Select(c => c with { Weight = c.Weight * 7 })];
        Assert.That(Scoring.Total(scaled, Answers(55, 81, true)).Total, Is.EqualTo(Scoring.Total(Form, Answers(55, 81, true)).Total));
    }

    [Test]
    public void A_failed_fatal_item_makes_the_score_zero_however_good_the_rest()
    {
        var result = Scoring.Total(Form, Answers(100, 100, verified: false));
        Assert.That(result, Is.EqualTo(new ScoreResult(0m, ScoreGrade.Failing, FatalFailed: true)));
    }

    [TestCase(90, ScoreGrade.Excellent)]
    [TestCase(89.9, ScoreGrade.Good)]
    [TestCase(80, ScoreGrade.Good)]
    [TestCase(79.9, ScoreGrade.Fair)]
    [TestCase(70, ScoreGrade.Fair)]
    [TestCase(60, ScoreGrade.Poor)]
    [TestCase(59.9, ScoreGrade.Failing)]
    public void Grades_follow_the_branch_inspection_bands(decimal total, ScoreGrade grade) =>
        Assert.That(Scoring.GradeOf(total), Is.EqualTo(grade));

    [Test]
    public void Missing_or_out_of_range_answers_are_named()
    {
        var errors = Scoring.ValidateAnswers(Form, [new("greeting", 120, null), new("verification", 50, null), new("extra", 1, null)]);
        Assert.That(errors.Keys, Is.EquivalentTo(new[] { "answers", "answers.greeting", "answers.accuracy", "answers.verification" }));
        Assert.That(() => Scoring.Total(Form, [new("greeting", 120, null)]), Throws.ArgumentException);
    }

    [Test]
    public void A_form_needs_a_scored_criterion_unique_keys_and_no_weight_on_fatal_items()
    {
        Assert.That(Scoring.ValidateForm(Form), Is.Empty);
        Assert.That(Scoring.ValidateForm([new("v", "Verifies", 0, true)]).Keys, Does.Contain("criteria"));
        Assert.That(Scoring.ValidateForm([new("a", "A", 1, false), new("a", "B", 1, false)]).Keys, Does.Contain("criteria.key"));
        Assert.That(Scoring.ValidateForm([new("a", "A", 1, false), new("f", "F", 5, true)]).Keys, Does.Contain("criteria[1]"));
        Assert.That(Scoring.ValidateForm([new("a", "A", 0, false)]).Keys, Does.Contain("criteria[0]"));
    }

    [Test]
    public void Calibration_reports_mean_variance_and_whether_the_reviewers_agree()
    {
        var close = Calibration.Compare([82m, 86m], tolerance: 5);
        Assert.That(close, Is.EqualTo(new CalibrationResult(84m, 4m, 4m, Agreed: true)));
        Assert.That(Calibration.Compare([60m, 90m], tolerance: 5).Agreed, Is.False);
        Assert.That(() => Calibration.Compare([70m], 5), Throws.ArgumentException);
    }
}
