import CKPlanCommands

CKPlanCommand.main()
