"""genas.data"""
