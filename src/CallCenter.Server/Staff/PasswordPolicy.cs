namespace CallCenter.Server.Staff;

/// <summary>What a new password must satisfy; returns every problem, not just the first.</summary>
public static class PasswordPolicy
{
    public static IReadOnlyList<string> Check(string password, int minLength, string workNumber)
    {
        ArgumentNullException.ThrowIfNull(password);
        var problems = new List<string>();
        if (password.Length < minLength) problems.Add($"must be at least {minLength} characters");
        if (!password.Any(char.IsLetter)) problems.Add("must contain a letter");
        if (!password.Any(char.IsDigit)) problems.Add("must contain a digit");
        if (password.Contains(workNumber, StringComparison.OrdinalIgnoreCase)) problems.Add("must not contain the work number");
        return problems;
    }
}
