"""genas.report"""
