using System.Globalization;

namespace CallCenter.Core.Quality;

/// <summary>One item of a scoring form: a weighted criterion scored 0–100, or a "fatal" item that is passed or failed.</summary>
/// <param name="Key">Stable identifier within the form (answers refer to it).</param>
/// <param name="Label">What the reviewer checks.</param>
/// <param name="Weight">Relative weight of a scored criterion (weights are normalised); 0 for a fatal item.</param>
/// <param name="Fatal">A failed fatal item (a compliance breach: unverified disclosure, rudeness) makes the whole score 0.</param>
public sealed record FormCriterion(string Key, string Label, decimal Weight, bool Fatal);

/// <summary>A reviewer's answer to one criterion: points 0–100 for a scored criterion, passed or not for a fatal item.</summary>
public sealed record CriterionAnswer(string Key, decimal? Points, bool? Passed);

/// <summary>The bank's branch-inspection bands: ≥ 90 excellent, 80–89 good, 70–79 fair, 60–69 poor, &lt; 60 failing.</summary>
public enum ScoreGrade
{
    Failing,
    Poor,
    Fair,
    Good,
    Excellent,
}

/// <summary>An evaluation's result: the total out of 100, its grade, and whether a fatal item zeroed it.</summary>
public sealed record ScoreResult(decimal Total, ScoreGrade Grade, bool FatalFailed);

/// <summary>
/// Scoring forms and their arithmetic. The total is the weighted mean of the scored criteria (weights need not
/// add up to anything: they are normalised), rounded to one decimal; any failed fatal item makes it 0.
/// </summary>
public static class Scoring
{
    public const int MaxCriteria = 50;

    /// <summary>Problems with a form definition, by field; empty when it can be used.</summary>
    public static IReadOnlyDictionary<string, string[]> ValidateForm(IReadOnlyList<FormCriterion> criteria)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        var errors = new Dictionary<string, string[]>();
        if (criteria.Count == 0 || criteria.Count > MaxCriteria)
            errors["criteria"] = [$"A form has 1 to {MaxCriteria} criteria."];
        else if (!criteria.Any(c => !c.Fatal))
            errors["criteria"] = ["A form needs at least one scored (non-fatal) criterion."];
        for (var i = 0; i < criteria.Count; i++)
        {
            var c = criteria[i];
            var problems = new List<string>();
            if (string.IsNullOrWhiteSpace(c.Key) || c.Key.Length > 40) problems.Add("key has 1 to 40 characters.");
            if (string.IsNullOrWhiteSpace(c.Label) || c.Label.Length > 200) problems.Add("label has 1 to 200 characters.");
            if (c.Fatal && c.Weight != 0) problems.Add("a fatal item has no weight (it zeroes the score instead).");
            if (!c.Fatal && (c.Weight <= 0 || c.Weight > 1000)) problems.Add("a scored criterion's weight is above 0 and at most 1000.");
            if (problems.Count > 0) errors[string.Create(CultureInfo.InvariantCulture, $"criteria[{i}]")] = [.. problems];
        }
        var duplicates = criteria.GroupBy(c => c.Key, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0) errors["criteria.key"] = [$"Keys must be unique: {string.Join(", ", duplicates)}."];
        return errors;
    }

    /// <summary>Problems with a set of answers against a form, by field; empty when every criterion is answered properly.</summary>
    public static IReadOnlyDictionary<string, string[]> ValidateAnswers(IReadOnlyList<FormCriterion> criteria, IReadOnlyList<CriterionAnswer> answers)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        ArgumentNullException.ThrowIfNull(answers);
        var errors = new Dictionary<string, string[]>();
        var byKey = criteria.ToDictionary(c => c.Key, StringComparer.Ordinal);
        var unknown = answers.Where(a => !byKey.ContainsKey(a.Key)).Select(a => a.Key).ToList();
        if (unknown.Count > 0) errors["answers"] = [$"Not on this form: {string.Join(", ", unknown)}."];
        var repeated = answers.GroupBy(a => a.Key, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (repeated.Count > 0) errors["answers.key"] = [$"Answered twice: {string.Join(", ", repeated)}."];
        foreach (var c in criteria)
        {
            var answer = answers.FirstOrDefault(a => a.Key == c.Key);
            if (answer is null) errors[$"answers.{c.Key}"] = ["Not answered."];
            else if (c.Fatal && answer.Passed is null) errors[$"answers.{c.Key}"] = ["A fatal item is answered passed or failed."];
            else if (!c.Fatal && answer.Points is not (>= 0 and <= 100)) errors[$"answers.{c.Key}"] = ["Points are 0 to 100."];
        }
        return errors;
    }

    /// <summary>The total of valid answers (see <see cref="ValidateAnswers"/>): weighted mean of points, or 0 after a failed fatal item.</summary>
    public static ScoreResult Total(IReadOnlyList<FormCriterion> criteria, IReadOnlyList<CriterionAnswer> answers)
    {
        if (ValidateAnswers(criteria, answers) is { Count: > 0 } errors)
            throw new ArgumentException($"Answers do not fit the form: {string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))}", nameof(answers));
        var byKey = answers.ToDictionary(a => a.Key, StringComparer.Ordinal);
        if (criteria.Any(c => c.Fatal && byKey[c.Key].Passed == false)) return new ScoreResult(0m, ScoreGrade.Failing, FatalFailed: true);
        var scored = criteria.Where(c => !c.Fatal).ToList();
        var weights = scored.Sum(c => c.Weight);
        var total = Math.Round(scored.Sum(c => c.Weight * byKey[c.Key].Points!.Value) / weights, 1, MidpointRounding.AwayFromZero);
        return new ScoreResult(total, GradeOf(total), FatalFailed: false);
    }

    public static ScoreGrade GradeOf(decimal total) => total switch
    {
        >= 90 => ScoreGrade.Excellent,
        >= 80 => ScoreGrade.Good,
        >= 70 => ScoreGrade.Fair,
        >= 60 => ScoreGrade.Poor,
        _ => ScoreGrade.Failing,
    };
}

/// <summary>How far two or more reviewers' totals for the same call lie apart.</summary>
/// <param name="Mean">Mean of the totals.</param>
/// <param name="Variance">Population variance of the totals.</param>
/// <param name="Spread">Highest minus lowest total.</param>
/// <param name="Agreed">Spread within the calibration tolerance.</param>
public sealed record CalibrationResult(decimal Mean, decimal Variance, decimal Spread, bool Agreed);

/// <summary>Calibration: several reviewers score one call; a spread above the tolerance means the form is read differently.</summary>
public static class Calibration
{
    public static CalibrationResult Compare(IReadOnlyList<decimal> totals, decimal tolerance)
    {
        ArgumentNullException.ThrowIfNull(totals);
        if (totals.Count < 2) throw new ArgumentException("Calibration needs at least two reviewers' totals.", nameof(totals));
        var mean = totals.Sum() / totals.Count;
        var variance = totals.Sum(t => (t - mean) * (t - mean)) / totals.Count;
        var spread = totals.Max() - totals.Min();
        return new CalibrationResult(Math.Round(mean, 2), Math.Round(variance, 2), spread, spread <= tolerance);
    }
}
