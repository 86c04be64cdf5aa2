using CallCenter.Core.Metrics;
using CallCenter.Server.Agents;
using CallCenter.Server.Archive;
using CallCenter.Server.Audit;
using CallCenter.Server.CallLog;
using CallCenter.Server.Channels;
using CallCenter.Server.Complaints;
using CallCenter.Server.Ivr;
using CallCenter.Server.Knowledge;
using CallCenter.Server.Metrics;
using CallCenter.Server.Outbound;
using CallCenter.Server.Quality;
using CallCenter.Server.Routing;
using CallCenter.Server.Staff;
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
    public DbSet<StaffMember> StaffMembers => Set<StaffMember>();
    public DbSet<OperationLogEntry> OperationLog => Set<OperationLogEntry>();
    public DbSet<EmergencyAnnouncement> EmergencyAnnouncements => Set<EmergencyAnnouncement>();
    public DbSet<Degraded.SurgeSwitch> SurgeSwitches => Set<Degraded.SurgeSwitch>();
    public DbSet<QueueIntervalRollup> QueueIntervalRollups => Set<QueueIntervalRollup>();
    public DbSet<MetricsWatermark> MetricsWatermarks => Set<MetricsWatermark>();
    public DbSet<AgentIntervalRollup> AgentIntervalRollups => Set<AgentIntervalRollup>();
    public DbSet<ArchiveJob> ArchiveJobs => Set<ArchiveJob>();
    public DbSet<ArchivedRecording> ArchivedRecordings => Set<ArchivedRecording>();
    public DbSet<LegalHold> LegalHolds => Set<LegalHold>();
    public DbSet<RecordingAccessEntry> RecordingAccessLog => Set<RecordingAccessEntry>();
    public DbSet<LineIntervalRollup> LineIntervalRollups => Set<LineIntervalRollup>();
    public DbSet<FcrDailyRollup> FcrDailyRollups => Set<FcrDailyRollup>();
    public DbSet<CallFacts> CallFacts => Set<CallFacts>();
    public DbSet<KnowledgeArticle> KnowledgeArticles => Set<KnowledgeArticle>();
    public DbSet<ArticleVersion> ArticleVersions => Set<ArticleVersion>();
    public DbSet<ChangeNotice> ChangeNotices => Set<ChangeNotice>();
    public DbSet<KnowledgeFlag> KnowledgeFlags => Set<KnowledgeFlag>();
    public DbSet<IncidentScript> IncidentScripts => Set<IncidentScript>();
    public DbSet<ServiceRequest> ServiceRequests => Set<ServiceRequest>();
    public DbSet<ServiceRequestMessage> ServiceRequestMessages => Set<ServiceRequestMessage>();
    public DbSet<Survey> Surveys => Set<Survey>();
    public DbSet<SurveyOptOut> SurveyOptOuts => Set<SurveyOptOut>();
    public DbSet<ServiceRequestMedia> ServiceRequestMedia => Set<ServiceRequestMedia>();
    public DbSet<ChannelTimelinessRollup> ChannelTimelinessRollups => Set<ChannelTimelinessRollup>();
    public DbSet<SatisfactionIntervalRollup> SatisfactionIntervalRollups => Set<SatisfactionIntervalRollup>();
    public DbSet<TranscriptionJob> TranscriptionJobs => Set<TranscriptionJob>();
    public DbSet<TranscriptPhrase> TranscriptPhrases => Set<TranscriptPhrase>();
    public DbSet<ScoringFormVersion> ScoringForms => Set<ScoringFormVersion>();
    public DbSet<Evaluation> Evaluations => Set<Evaluation>();
    public DbSet<EvaluationComment> EvaluationComments => Set<EvaluationComment>();
    public DbSet<ReviewPeriodClosure> ClosedReviewPeriods => Set<ReviewPeriodClosure>();
    public DbSet<ReviewPlan> ReviewPlans => Set<ReviewPlan>();
    public DbSet<Complaint> Complaints => Set<Complaint>();
    public DbSet<ComplaintEvent> ComplaintEvents => Set<ComplaintEvent>();
    public DbSet<ComplaintCall> ComplaintCalls => Set<ComplaintCall>();
    public DbSet<WorkOrder> WorkOrders => Set<WorkOrder>();
    public DbSet<StoredComplaintReport> ComplaintDailyReports => Set<StoredComplaintReport>();
    public DbSet<Callback> Callbacks => Set<Callback>();
    public DbSet<CallbackAttempt> CallbackAttempts => Set<CallbackAttempt>();
    public DbSet<OutboundProject> OutboundProjects => Set<OutboundProject>();
    public DbSet<OutboundContact> OutboundContacts => Set<OutboundContact>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(CallCenterDbContext).Assembly);
}
