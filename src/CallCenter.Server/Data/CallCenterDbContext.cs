using CallCenter.Server.Agents;
using CallCenter.Server.CallLog;
using CallCenter.Server.Routing;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Data;

/// <summary>The unit of work over the call centre's PostgreSQL database.</summary>
public sealed class CallCenterDbContext(DbContextOptions<CallCenterDbContext> options) : DbContext(options)
{
    public DbSet<CallRecord> Calls => Set<CallRecord>();
    public DbSet<CallEventRecord> CallEvents => Set<CallEventRecord>();
    public DbSet<Agent> Agents => Set<Agent>();
    public DbSet<Skill> Skills => Set<Skill>();
    public DbSet<QueueDefinition> Queues => Set<QueueDefinition>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(CallCenterDbContext).Assembly);
}
