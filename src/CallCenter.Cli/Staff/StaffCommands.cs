using System.CommandLine;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Cli.Staff;

/// <summary>`callcenter staff add`: creates the first administrator (and any account) from the shell.</summary>
internal static class StaffCommands
{
    public static Command Create()
    {
        var connection = CliOptions.Connection();
        var workNumber = new Option<string>("--work-number") { Required = true, Description = "The person's work number." };
        var name = new Option<string>("--name") { Required = true, Description = "Display name." };
        var role = new Option<StaffRole>("--role") { Required = true, Description = "Agent, Supervisor, Quality or Admin." };
        var level = new Option<int>("--permission-level") { DefaultValueFactory = _ => 1, Description = "1–3, the highest transaction risk they may help with." };
        var add = new Command("add", "Create a staff account; the initial password is read from standard input and must be changed at first login.")
        {
            connection, workNumber, name, role, level,
        };
        add.SetAction(async (parse, ct) =>
        {
            if (CliOptions.RequireConnection(parse, connection) is not { } cs) return 2;
            var password = (await Console.In.ReadLineAsync(ct))?.Trim();
            if (string.IsNullOrEmpty(password))
            {
                Console.Error.WriteLine("error: no initial password on standard input.");
                return 2;
            }
            await using var dataSource = DataExtensions.CreateDataSource(cs);
            var options = new DbContextOptionsBuilder<CallCenterDbContext>();
            DataExtensions.Configure(options, dataSource);
            await using var db = new CallCenterDbContext(options.Options);
            var accounts = new StaffAccounts(db, new PasswordHasher<StaffMember>(), Options.Create(new StaffOptions()), TimeProvider.System);
            var (member, problems) = await accounts.CreateAsync("cli", parse.GetValue(workNumber)!, parse.GetValue(name)!,
                parse.GetValue(role), parse.GetValue(level), password, ct);
            if (member is null)
            {
                foreach (var problem in problems) Console.Error.WriteLine($"error: {problem}");
                return 1;
            }
            Console.WriteLine($"Created {member.Role} {member.WorkNumber}; the password must be changed at first login.");
            return 0;
        });
        return new Command("staff", "Staff accounts.") { add };
    }
}
