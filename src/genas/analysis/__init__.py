"""genas.analysis"""
