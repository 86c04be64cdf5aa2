using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace CallCenter.Console.Tests;

/// <summary>Runs axe-core's WCAG 2 A and AA rules (labels, names, roles, contrast) over what the page shows now.</summary>
internal static class Accessibility
{
    public static async Task AssertNoViolationsAsync(IPage page, string where)
    {
        var result = await page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa"] } });
        var found = result.Violations.Select(v => $"{v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}").ToList();
        Assert.That(result.Passes, Is.Not.Empty, $"axe checked nothing on {where}");
        Assert.That(found, Is.Empty, $"accessibility problems on {where}");
    }
}
